"""Bad starts of the local AWS: each ends in one clear error and leaves nothing running."""
import socket

import pytest

from studio_containers.errors import UserError
from studio_containers.localaws.control import LocalAws
from studio_containers.ports import HOST


def _refused(local: LocalAws, match: str) -> str:
    with pytest.raises(UserError, match=match) as caught:
        local.start()
    assert not local.server.pid() and not local.registry.pid()
    return str(caught.value)


@pytest.mark.parametrize("content, reason", [
    (b"garbage that is not a state file", "not a local AWS state file"),
    (b'{"format": "studio-containers-localaws/1", "moto": "0.0.1", "sha256": ""}\n...',
     "was written with moto 0.0.1"),
])
def test_a_corrupt_state_file_is_refused_and_kept(tmp_path, content, reason, capsys,
                                                  local_aws_settings):
    local = LocalAws(local_aws_settings(tmp_path))
    local.state_file.parent.mkdir(parents=True)
    local.state_file.write_bytes(content)
    message = _refused(local, reason)
    assert str(local.state_file) in message
    assert local.state_file.read_bytes() == content
    assert "last lines of" in capsys.readouterr().err


def test_a_damaged_state_file_fails_its_checksum(tmp_path, local_aws_settings):
    from importlib.metadata import version
    local = LocalAws(local_aws_settings(tmp_path))
    local.state_file.parent.mkdir(parents=True)
    header = ('{"format": "studio-containers-localaws/1", "moto": "%s", "sha256": "0"}'
              % version("moto"))
    local.state_file.write_bytes(header.encode() + b"\n\x80\x05truncated")
    _refused(local, "damaged")


@pytest.mark.parametrize("which", ["aws.port", "aws.registry_port"])
def test_a_port_in_use_is_named_before_anything_starts(tmp_path, which, local_aws_settings):
    settings = local_aws_settings(tmp_path)
    port = settings.aws_port if which == "aws.port" else settings.registry_port
    with socket.socket() as taken:
        taken.bind((HOST, port))
        taken.listen()
        local = LocalAws(settings)
        _refused(local, f"{which} {port}")
    assert not local.server.log_file.exists()


def test_a_registry_that_fails_to_start_shows_its_log_and_stops_the_server(
        tmp_path, monkeypatch, capsys, local_aws_settings):
    fake = tmp_path / "bin" / "docker-registry"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'configuration error: storage driver broken' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    local = LocalAws(local_aws_settings(tmp_path / "state"))
    message = _refused(local, "local ECR registry failed to start")
    assert "exit code 1" in message
    assert "storage driver broken" in capsys.readouterr().err
