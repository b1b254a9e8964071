"""Debian packages installed on demand: a failing apt is one line with its last lines shown."""
import subprocess
from unittest import mock

import pytest

from studio_containers import host
from studio_containers.errors import UserError


def test_a_failing_apt_get_names_the_command_and_the_packages(capsys):
    failed = subprocess.CompletedProcess([], 100, "", "E: Unable to locate package nope")
    with mock.patch.object(host.subprocess, "run", return_value=failed):
        with pytest.raises(UserError, match=r"`apt-get update -q` failed \(exit 100\); install nope by hand"):
            host.apt_install(["nope"])
    assert "Unable to locate package nope" in capsys.readouterr().err


def test_chromium_is_installed_only_where_that_is_safe(monkeypatch):
    monkeypatch.setattr(host.shutil, "which", lambda name: None)
    monkeypatch.setattr(host, "can_install_here", lambda: False)
    with pytest.raises(UserError, match="install Debian's `chromium` package"):
        host.ensure_chromium()
    monkeypatch.setattr(host, "can_install_here", lambda: True)
    with mock.patch.object(host, "apt_install") as apt:
        assert host.ensure_chromium() == host.CHROMIUM
    apt.assert_called_once_with(["chromium"])
