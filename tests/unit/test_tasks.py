"""Tasks, driven with Invoke's MockContext: flags reach the library, bad input ends in one line."""
import socket
import sys
from unittest import mock

import pytest
from invoke import Exit, Result

from studio_containers import PROJECT_ROOT
from studio_containers.tasks import images, local, testing


def test_unknown_image_is_refused_before_any_engine_work(context, exit_message, tmp_path):
    with mock.patch("studio_containers.pipeline.open_workspace") as workspace:
        with pytest.raises(Exit) as info:
            images.build(context(), image="nope")
    assert "--image 'nope': no such image" in exit_message(info)
    workspace.assert_not_called()
    with pytest.raises(Exit) as info:
        local.local(context(), image="nope")
    assert "known: python-basic" in exit_message(info)


def test_local_refuses_a_port_in_use_before_starting_anything(context, exit_message, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with mock.patch("studio_containers.pipeline.open_workspace") as workspace:
            with pytest.raises(Exit) as info:
                local.local(context(), image="python-basic", port=busy)
    assert f"--port {busy}: 127.0.0.1:{busy} is already in use" in exit_message(info)
    workspace.assert_not_called()
    assert not (tmp_path / "state" / "local" / "session.json").exists()


def test_local_rejects_a_bad_port_flag(context, exit_message, tmp_path):
    with pytest.raises(Exit) as info:
        local.local(context(), image="python-basic", port="http")
    assert "--port: 'http' is not a port" in exit_message(info)


def test_build_passes_the_image_and_verbosity(context, exit_message, tmp_path):
    with mock.patch("studio_containers.pipeline.open_workspace") as workspace, \
            mock.patch("studio_containers.pipeline.build_images") as build:
        images.build(context(), image="python-basic", verbose=True)
    specs = build.call_args.args[1]
    assert [s.name for s in specs] == ["python-basic"]
    assert build.call_args.args[0] is workspace.return_value.client
    assert build.call_args.args[4] is True


def test_local_stop_with_nothing_running_says_so(context, exit_message, tmp_path, capsys):
    with mock.patch("studio_containers.local.session.connect", return_value=None):
        local.local(context(), stop=True)
    assert "No `invoke local` was running" in capsys.readouterr().out


def test_test_task_runs_pytest_on_the_unit_folder(context, exit_message, tmp_path):
    expected = f"{sys.executable} -m pytest {PROJECT_ROOT / 'tests' / 'unit'} -k spec -x"
    c = context(run={expected: Result()})
    testing.test(c, unit=True, k="spec", pytest_args="-x")
    assert [call.args[0] for call in c.run.call_args_list] == [expected]
