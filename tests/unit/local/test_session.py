"""A running session's watch: a lab or gateway that dies ends it with the right pointer."""
from unittest import mock

import pytest

from studio_containers.errors import UserError
from studio_containers.local import app, session


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
