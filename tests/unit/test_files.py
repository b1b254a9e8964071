"""Private state files: written whole or not at all, mode 0600 even over a wider old file."""
import os
import stat

import pytest

from studio_containers.files import open_private_log, write_private


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_private_replaces_whole_and_tightens_the_mode(tmp_path):
    path = tmp_path / "deep" / "state.json"
    write_private(path, "one")
    assert path.read_text() == "one" and mode(path) == 0o600
    os.chmod(path, 0o644)
    write_private(path, b"two", fsync=True)
    assert path.read_bytes() == b"two" and mode(path) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"]   # no temporary left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "state.json"
    write_private(path, "old")
    with pytest.raises(TypeError):
        write_private(path, 42)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_private_logs_truncate_or_append(tmp_path):
    path = tmp_path / "logs" / "x.log"
    with open_private_log(path) as log:
        log.write(b"first\n")
    with open_private_log(path, append=True) as log:
        log.write(b"second\n")
    assert path.read_text() == "first\nsecond\n" and mode(path) == 0o600
    with open_private_log(path) as log:
        log.write(b"new\n")
    assert path.read_text() == "new\n"


def test_an_exclusive_write_never_replaces_a_file(tmp_path):
    path = tmp_path / "credentials.json"
    write_private(path, "first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_private(path, "second", exclusive=True)
    assert path.read_text() == "first" and mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials.json"]


def test_a_durable_write_syncs_the_file_and_then_its_folder(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    write_private(tmp_path / "state.bin", b"x", fsync=True)
    assert synced == ["file", "folder"]
    synced.clear()
    write_private(tmp_path / "other.json", "x")
    assert synced == []
