import os

import pytest

from studio_containers.build.certs import extra_ca_certs
from studio_containers.build.contenthash import folder_hash
from studio_containers.build.debian_base import apt_mirror
from studio_containers.errors import UserError
from studio_containers.ports import ensure_free, free_port
from studio_containers.settings import port

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_folder_hash_follows_content_mode_and_extra(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    first = folder_hash(tmp_path, "base1")
    assert folder_hash(tmp_path, "base1") == first
    assert folder_hash(tmp_path, "base2") != first
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_text("junk")
    assert folder_hash(tmp_path, "base1") == first
    (tmp_path / "run.sh").write_text("echo\n")
    second = folder_hash(tmp_path, "base1")
    assert second != first
    os.chmod(tmp_path / "run.sh", 0o755)
    assert folder_hash(tmp_path, "base1") != second


def test_extra_ca_certs_auto_none_and_list(tmp_path):
    (tmp_path / "corp.crt").write_text(PEM)
    (tmp_path / "README").write_text("not a cert")
    assert extra_ca_certs("auto", auto_dirs=(tmp_path, tmp_path / "absent")) == [tmp_path / "corp.crt"]
    assert extra_ca_certs("none") == []
    assert extra_ca_certs([str(tmp_path / "corp.crt")]) == [tmp_path / "corp.crt"]
    with pytest.raises(UserError, match="build.extra_ca_certs: .* does not exist"):
        extra_ca_certs([str(tmp_path / "missing.crt")])
    with pytest.raises(UserError, match="not a PEM certificate"):
        extra_ca_certs([str(tmp_path / "README")])


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path):
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\n")
    assert apt_mirror((tmp_path,)) == "http://mirror.example/debian"
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert apt_mirror((one_line,)) == "http://other.example/debian"
    assert apt_mirror((tmp_path / "none",)) == "http://deb.debian.org/debian"


def test_port_values():
    assert port("--port", "8890") == 8890
    assert port("local.gateway_port", 0, allow_zero=True) == 0
    for bad in ("x", 0, 70000, True):
        with pytest.raises(UserError, match="--port"):
            port("--port", bad)


def test_port_in_use_is_refused_with_the_flag_named():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with pytest.raises(UserError, match=rf"--port {busy}: 127.0.0.1:{busy} is already in use"):
            ensure_free(busy, "--port")
    assert ensure_free(0, "--port") > 0
    assert free_port() > 0


def test_a_new_runtime_removes_earlier_ones_but_not_one_in_use(capsys):
    from unittest import mock

    from docker.errors import APIError

    from studio_containers.runtime.volume import Runtime, _remove_other_runtimes
    keep = Runtime(image="studio-containers/gateway-runtime:new", volume="studio-containers-gateway-new")
    volumes = [mock.Mock(), mock.Mock(), mock.Mock()]
    volumes[0].name, volumes[1].name, volumes[2].name = (keep.volume, "studio-containers-gateway-old",
                                                         "studio-containers-gateway-busy")
    volumes[2].remove.side_effect = APIError("volume is in use")
    images = [mock.Mock(tags=[keep.image], id="new"), mock.Mock(tags=["studio-containers/gateway-runtime:old"], id="old")]
    client = mock.Mock()
    client.volumes.list.return_value = volumes
    client.images.list.return_value = images
    _remove_other_runtimes(client, keep)
    volumes[0].remove.assert_not_called()
    volumes[1].remove.assert_called_once()
    client.images.remove.assert_called_once_with("old")
    assert "Removed 1 gateway runtime volume(s)" in capsys.readouterr().out
