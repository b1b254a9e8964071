"""Writing the tool's own files: whole or not at all, readable by this user only.

State files carry tokens, URLs with tokens, credentials or records a crash must not truncate, so
every one is written to a private temporary file beside it, flushed to disk and renamed over it.
"""
import os
from pathlib import Path

PRIVATE = 0o600


def write_private(path: Path, data: str | bytes, *, fsync: bool = False,
                  exclusive: bool = False) -> None:
    """Replaces `path` atomically with `data`, mode 0600 (also when the old file was wider).

    `exclusive`: only when no file is there; FileExistsError otherwise (secrets that a running
    server already uses must never be replaced by a second writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
            out.flush()
            if fsync:
                os.fsync(out.fileno())
        os.chmod(temporary, PRIVATE)
        if exclusive:
            os.link(temporary, path)
            temporary.unlink()
        else:
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if fsync:
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename lives in the folder: until the folder is on disk, a power cut can bring back the
    # old file.
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private_log(path: Path, append: bool = False):
    """A log file opened for writing, mode 0600 (tools write tokens and URLs into logs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC), PRIVATE)
    os.chmod(path, PRIVATE)
    return os.fdopen(fd, "wb")
