"""Starting the local AWS: waiting for each daemon, and the one clear error when it fails."""
import time

import pytest
import requests

from studio_containers.errors import UserError
from studio_containers.localaws.control import LocalAws, kept_running
from studio_containers.wait import NotYet, WaitTimeout
from tests.helpers import project_settings


class ExitedProcess:
    def __init__(self, returncode: int | None):
        self.returncode = returncode

    def poll(self):
        return self.returncode


@pytest.fixture
def local(tmp_path) -> LocalAws:
    made = LocalAws(project_settings(state_dir=str(tmp_path), aws__start_timeout=0.3))
    made.folder.mkdir(parents=True)
    return made


def test_a_server_that_exits_is_reported_with_its_own_error_line(local, capsys):
    local.server.log_file.write_text("starting\nerror: /s/state.bin is damaged (checksum "
                                     "mismatch). Move it away.\n")
    with pytest.raises(UserError) as caught:
        local._wait(ExitedProcess(2), local.server, "local AWS server", lambda: True, ())
    assert str(caught.value) == (
        "the local AWS server failed to start: /s/state.bin is damaged (checksum mismatch). "
        f"Move it away. (log: {local.server.log_file})")
    assert "last lines of" in capsys.readouterr().err


def test_without_an_error_line_the_exit_code_is_the_reason(local):
    with pytest.raises(UserError, match="local ECR registry failed to start: exit code 1"):
        local._wait(ExitedProcess(1), local.registry, "local ECR registry", lambda: True, ())


def test_a_daemon_that_never_answers_names_the_setting_and_the_log(local, capsys):
    local.registry.log_file.write_text("still thinking\n")
    with pytest.raises(WaitTimeout) as caught:
        local._wait(ExitedProcess(None), local.registry, "local ECR registry",
                    lambda: NotYet("HTTP 503"), ())
    message = str(caught.value)
    assert message.startswith("timed out after 0.3s waiting for the local ECR registry to answer")
    assert "HTTP 503" in message and "aws.start_timeout" in message
    assert str(local.registry.log_file) in message
    assert "still thinking" in capsys.readouterr().err


def test_a_probe_error_of_the_expected_kind_is_retried_and_reported(local):
    def refused():
        raise requests.ConnectionError("connection refused")
    with pytest.raises(WaitTimeout, match="ConnectionError: connection refused"):
        local._wait(ExitedProcess(None), local.server, "local AWS server", refused,
                    (requests.RequestException,))
    answers = iter([NotYet("HTTP 502"), True])
    local._wait(ExitedProcess(None), local.server, "local AWS server", lambda: next(answers), ())


@pytest.mark.parametrize("key, value, message", [
    ("region", "mars-1", "aws.region"),
    ("port", 70000, "aws.port"),
    ("registry_port", "x", "aws.registry_port"),
    ("repository_prefix", "Team/Images", "aws.repository_prefix"),
])
def test_bad_aws_settings_name_the_setting(key, value, message):
    with pytest.raises(UserError, match=message):
        project_settings(**{f"aws__{key}": value})


class Dying:
    """A local AWS that dies once (its pid file left behind) and whose restart may fail."""

    def __init__(self, restart_error=None):
        self.dead, self.starts, self.restart_error = True, 0, restart_error
        self.url, self.server = "http://127.0.0.1:1", type("D", (), {"log_file": "server.log"})()

    def died(self):
        return self.dead

    def start(self, environ=None):
        self.starts += 1
        self.environ = environ
        if self.restart_error:
            raise self.restart_error
        self.dead = False


def test_a_local_aws_that_dies_during_a_deploy_is_started_again_and_said(capsys):
    local = Dying()
    with kept_running(local, poll=0.05):
        time.sleep(0.5)
    assert local.starts == 1
    assert local.environ and "PATH" in local.environ      # the environment as the deploy began
    err = capsys.readouterr().err
    assert "warning: the local AWS stopped during the deploy (see server.log)" in err
    assert "warning: the local AWS is back at http://127.0.0.1:1" in err


def test_a_restart_that_fails_is_said_once_and_not_retried(capsys):
    local = Dying(UserError("aws.port 127.0.0.1:1 is already in use"))
    with kept_running(local, poll=0.05):
        time.sleep(0.5)
    assert local.starts == 1
    assert "could not start the local AWS again: aws.port 127.0.0.1:1 is already in use" in \
        capsys.readouterr().err


def test_a_stopped_local_aws_is_not_dead(tmp_path):
    local = LocalAws(project_settings(state_dir=str(tmp_path)))
    assert not local.died()                                  # never started: no pid file
    local.server.pid_file.parent.mkdir(parents=True)
    local.server.pid_file.write_text('{"pid": 999999999}')   # its process gone, its file left
    assert local.died()
