"""A running session's watch: a lab or gateway that dies ends it with the right pointer."""
import dataclasses
import json
import socket
import subprocess
import sys
from unittest import mock

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.local import app, session
from studio_containers.ports import free_port
from tests.helpers import made_up_spec, project_settings


@pytest.fixture(autouse=True)
def no_wait(monkeypatch):
    monkeypatch.setattr(app, "POLL_SECONDS", 0)


def test_a_lab_that_exits_names_its_own_log(tmp_path):
    lab = mock.Mock(returncode=1)
    lab.poll.return_value = 1
    log = tmp_path / "elsewhere" / "jupyterlab.log"    # wherever state_dir puts it
    with pytest.raises(UserError, match=rf"JupyterLab exited unexpectedly \(code 1\); see its log in {log}$"):
        app.watch(mock.Mock(status="running"), lambda: session._lab_exited(lab, log))


def test_a_gateway_container_that_stops_shows_its_last_lines(tmp_path, capsys):
    lab = mock.Mock()
    lab.poll.return_value = None
    container = mock.Mock(status="exited")
    container.name = "studio-containers-local-demo"
    container.logs.return_value = b"Traceback\nKernel died\n"
    with pytest.raises(UserError, match="studio-containers-local-demo stopped unexpectedly \\(status exited\\)"):
        app.watch(container, lambda: session._lab_exited(lab, tmp_path / "lab.log"))
    assert "Kernel died" in capsys.readouterr().err


@pytest.fixture
def session_parts(tmp_path, monkeypatch):
    """run_local with its lab and its app stood in for: what happened, in order."""
    events = []
    lab = mock.Mock(pid=4242)
    monkeypatch.setattr(session, "launch_lab", lambda opts: events.append("lab launched") or lab)
    monkeypatch.setattr(session, "stop_lab", lambda proc: events.append("lab stopped"))
    monkeypatch.setattr(session, "wait_lab", lambda proc, opts, timeout: events.append("lab ready"))
    monkeypatch.setattr(app, "sweep_containers", lambda settings: events.append("swept") and False)
    settings = project_settings(state_dir=str(tmp_path / "state"), local__home_dir=str(tmp_path / "home"),
                               local__gateway_port=0)
    return events, settings


def started_app(events: list, what: str, cleanup) -> mock.Mock:
    """An app container stood in for: its start and (through the session's stack) its removal."""
    events.append(f"{what} started")
    cleanup.callback(events.append, f"{what} removed")
    container = mock.Mock()
    container.name = f"studio-containers-{what}-demo"
    return container


def test_the_lab_is_launched_first_and_stopped_when_the_image_fails_its_checks(session_parts,
                                                                               monkeypatch):
    events, settings = session_parts

    def fails(*args):
        events.append("checked")
        raise UserError("validation failed for demo")
    monkeypatch.setattr(app, "build_and_check", fails)
    with pytest.raises(UserError, match="validation failed"):
        session.run_local(settings, made_up_spec(), free_port())
    assert events == ["lab launched", "swept", "checked", "lab stopped"]


def test_the_lab_stops_before_the_gateway_container_goes(session_parts, monkeypatch):
    events, settings = session_parts
    monkeypatch.setattr(app, "build_and_check", lambda *args: events.append("checked"))

    local_aws = mock.Mock(name="the local AWS's endpoint")

    def gateway_started(settings, spec, prepared, home, token, port, cleanup, given_aws):
        assert given_aws is local_aws       # where the kernels' credentials come from
        return started_app(events, "gateway", cleanup)
    monkeypatch.setattr(app, "start_kernel_gateway", gateway_started)
    monkeypatch.setattr(app, "watch", mock.Mock(side_effect=KeyboardInterrupt))   # Ctrl-C
    session.run_local(settings, made_up_spec(), free_port(), local_aws=local_aws)
    assert events == ["lab launched", "swept", "checked", "gateway started", "lab ready",
                      "lab stopped", "gateway removed"]


def test_a_gateway_port_a_killed_sessions_container_held_is_checked_after_the_sweep(
        session_parts, monkeypatch):
    events, settings = session_parts
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    settings = dataclasses.replace(settings, gateway_port=holder.getsockname()[1])

    def sweep(settings):
        events.append("swept")
        holder.close()       # the killed session's container goes, and its port with it
        return True
    monkeypatch.setattr(app, "sweep_containers", sweep)

    def checked(*args):
        events.append("checked")
        raise KeyboardInterrupt
    monkeypatch.setattr(app, "build_and_check", checked)
    session.run_local(settings, made_up_spec(), free_port())
    assert events == ["lab launched", "swept", "checked", "lab stopped"]


def test_a_gateway_port_taken_by_someone_else_is_refused_before_the_build(session_parts, monkeypatch):
    events, settings = session_parts
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        settings = dataclasses.replace(settings, gateway_port=other.getsockname()[1])
        monkeypatch.setattr(app, "build_and_check", lambda *args: events.append("checked"))
        with pytest.raises(UserError, match=f"local.gateway_port {settings.gateway_port}: .* in use"):
            session.run_local(settings, made_up_spec(), free_port())
    assert events == ["lab launched", "swept", "lab stopped"]


def test_a_space_session_starts_no_lab(session_parts, monkeypatch, capsys):
    events, settings = session_parts
    monkeypatch.setattr(app, "build_and_check", lambda *args: events.append("checked"))

    local_aws = mock.Mock(name="the local AWS's endpoint")

    def space_started(settings, spec, prepared, home, port, token, cleanup, given_aws):
        assert given_aws is local_aws
        return (started_app(events, "space", cleanup), "/jupyterlab/default",
                f"http://127.0.0.1:{port}/jupyterlab/default/lab?token=t")
    monkeypatch.setattr(app, "start_space_app", space_started)
    monkeypatch.setattr(app, "watch", mock.Mock(side_effect=KeyboardInterrupt))
    session.run_local(settings, made_up_spec(app_type="JupyterLab"), free_port(),
                      local_aws=local_aws)
    assert events == ["swept", "checked", "space started", "space removed"]
    assert "Ready in" in capsys.readouterr().out


def test_what_runs_before_the_lab_launches_loads_neither_docker_nor_the_local_aws():
    """JupyterLab launches first (local/session.py): the task's modules, the session and the
    local AWS's endpoint it is handed must not bring Docker's SDK, boto3 or the local AWS."""
    code = ("import sys, json, tasks\n"
            "from studio_containers.tasks.local import local_aws_of\n"
            "from studio_containers.local import session\n"
            "local_aws_of(None)\n"
            "print(json.dumps(sorted(m for m in ('docker', 'boto3', 'botocore', "
            "'studio_containers.localaws.control', 'studio_containers.local.app') "
            "if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=True).stdout
    assert json.loads(loaded) == []
