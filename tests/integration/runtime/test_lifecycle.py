"""A lifecycle script run in a real app container (runtime/lifecycle.py), as Studio runs it: as
the app's user, in its home, output to the log; a failing script, one past its time limit (its
children killed too) and one needing a tool the image lacks each fail with their last lines."""
import time

import pytest

from studio_containers.runtime.lifecycle import run_lifecycle

HOME = "/home/sagemaker-user"


@pytest.fixture
def app(workspace, python_basic, tmp_path):
    """A running container of python-basic, its home a host folder, as an app's is."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    container = workspace.client.containers.run(
        python_basic.ref, ["sleep", "infinity"], detach=True, user="1000:100",
        volumes={str(home): {"bind": HOME, "mode": "rw"}}, network_mode="none",
        environment={"SAGEMAKER_APP_TYPE": "KernelGateway"})
    yield container, home
    container.remove(force=True)


def run(app, tmp_path, script: bytes, timeout: float = 30):
    container, _ = app
    return run_lifecycle(container, "team-setup", script, "1000:100", HOME, timeout,
                         tmp_path / "logs" / "team-setup.log")


def test_a_good_script_runs_as_the_apps_user_in_its_home(app, tmp_path):
    done = run(app, tmp_path, b"#!/bin/bash\nset -e\necho \"$(id -u):$(id -g) in $PWD for "
                              b"$SAGEMAKER_APP_TYPE\"\necho configured > ~/.team-setup\n")
    assert done.ok and done.exit_code == 0
    assert done.tail() == f"1000:100 in {HOME} for KernelGateway"
    written = app[1] / ".team-setup"
    assert written.read_text() == "configured\n" and written.stat().st_uid == 1000
    assert (done.log.stat().st_mode & 0o777) == 0o600


def test_a_script_without_an_interpreter_line_runs_with_sh(app, tmp_path):
    assert run(app, tmp_path, b"echo plain sh\n").tail() == "plain sh"


def test_a_failing_script_fails_with_its_code_and_last_lines(app, tmp_path):
    done = run(app, tmp_path, b"#!/bin/sh\necho step one\necho 'cannot reach the proxy' >&2\n"
                              b"exit 3\n")
    assert not done.ok and done.exit_code == 3
    assert done.failure() == "lifecycle script team-setup exited with code 3"
    assert done.tail().splitlines() == ["step one", "cannot reach the proxy"]


def test_a_tool_the_image_lacks_is_a_failure_naming_it(app, tmp_path):
    done = run(app, tmp_path, b"#!/bin/bash\nset -e\nconda install -y numpy\n")
    assert done.exit_code == 127 and "conda: command not found" in done.tail()


def test_past_the_time_limit_it_is_stopped_children_included(app, tmp_path):
    container, _ = app
    started = time.monotonic()
    # A child in the background, one detached from the script (double fork), and the script.
    done = run(app, tmp_path, b"#!/bin/bash\necho waiting\nsleep 300 &\n(sleep 302 &)\n"
                              b"sleep 301\n", timeout=2)
    assert time.monotonic() - started < 20
    assert done.exit_code is None and not done.ok
    assert done.failure() == ("lifecycle script team-setup ran past the time limit of 2 s and "
                              "was stopped")
    assert "waiting" in done.tail() and "[stopped after 2 s" in done.tail()
    assert done.last_output_line() and "[stopped" not in done.last_output_line()
    commands = [" ".join(p[-1:]) for p in container.top()["Processes"]]
    assert not [c for c in commands if c.startswith("sleep 30")], commands
