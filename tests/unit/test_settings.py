"""INVOKE_* variables reach the settings as typed and are checked there (not cast by Invoke)."""
import subprocess
import sys

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.settings import port
from tests.helpers import project_settings


@pytest.mark.parametrize("text, expected", [("false", False), ("False", False), ("0", False),
                                            ("no", False), ("true", True), ("1", True)])
def test_a_flag_variable_means_what_it_says(monkeypatch, text, expected):
    monkeypatch.setenv("INVOKE_LOCAL_TCP_NODELAY", text)
    assert project_settings().tcp_nodelay is expected


def test_number_variables_are_parsed(monkeypatch):
    monkeypatch.setenv("INVOKE_DEPLOY_PARALLELISM", "3")
    monkeypatch.setenv("INVOKE_VALIDATE_MAX_SIZE_GB", "2.5")
    monkeypatch.setenv("INVOKE_VALIDATE_WARN_SIZE_GB", "2")
    monkeypatch.setenv("INVOKE_LOCAL_READY_TIMEOUT", "90")
    s = project_settings()
    assert (s.deploy_parallelism, s.validate_max_size_gb, s.ready_timeout) == (3, 2.5, 90.0)


@pytest.mark.parametrize("variable, value, message", [
    ("INVOKE_LOCAL_TCP_NODELAY", "maybe", "local.tcp_nodelay: 'maybe' must be true or false"),
    ("INVOKE_DEPLOY_PARALLELISM", "2.5", "deploy.parallelism: '2.5' must be a whole number"),
    ("INVOKE_VALIDATE_MAX_SIZE_GB", "big", "validate.max_size_gb: 'big' must be a size in GB"),
    ("INVOKE_AWS_START_TIMEOUT", "-1", "aws.start_timeout: -1.0 must be a number of seconds"),
    ("INVOKE_LOCAL_PORT", "http", "local.port: 'http' is not a port"),
])
def test_bad_variables_name_the_setting(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(UserError, match=message.replace(".", r"\.").replace("'", "'?")):
        project_settings()


def test_a_bad_number_variable_is_one_line_from_the_command_line():
    done = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT),
                           "local", "--stop"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "INVOKE_DEPLOY_PARALLELISM": "abc",
                               "HOME": "/nonexistent"})
    assert done.returncode == 1
    assert done.stderr.strip() == "error: deploy.parallelism: 'abc' must be a whole number of at least 1"
    assert "Traceback" not in done.stdout + done.stderr


def test_port_values():
    assert port("--port", "8890") == 8890
    assert port("local.gateway_port", 0, allow_zero=True) == 0
    for bad in ("x", 0, 70000, True):
        with pytest.raises(UserError, match="--port"):
            port("--port", bad)


@pytest.mark.parametrize("key, value", [("stack", "has space"), ("parallelism", 0),
                                        ("keep_last_images", "ten")])
def test_bad_deploy_settings_name_the_setting(key, value):
    with pytest.raises(UserError, match=f"deploy.{key}"):
        project_settings(**{f"deploy__{key}": value})


def test_local_image_is_a_setting():
    assert project_settings().local_image == "python-basic"
    assert project_settings(local__image="").local_image is None       # the only image
    with pytest.raises(UserError, match="local.image: 5 must be an image folder name"):
        project_settings(local__image=5)


def test_the_size_warning_comes_at_or_below_the_limit():
    assert project_settings(validate__max_size_gb=20).validate_max_size_gb == 20.0   # = warn
    with pytest.raises(UserError, match=r"validate.warn_size_gb: 20 is above validate.max_size_gb "
                                        r"\(19.5\)"):
        project_settings(validate__max_size_gb=19.5)
