"""Content hashes that name image builds: same inputs, same tag, so unchanged images are skipped.

The files hashed are the build context as the builder sees it: `.dockerignore` (or BuildKit's
`Dockerfile.dockerignore`, which takes its place) leaves out what it names, so a change to an
ignored file rebuilds nothing. The spec file counts always: it is read by every later step.
"""
import hashlib
import os
from pathlib import Path

from docker.utils.build import exclude_paths

IGNORED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}
IGNORE_FILES = ("Dockerfile.dockerignore", ".dockerignore")     # the first found is used


def dockerignore_patterns(folder: Path) -> list[str] | None:
    """The patterns of the context's ignore file, as Docker reads them; None without one."""
    for name in IGNORE_FILES:
        path = folder / name
        if path.is_file():
            lines = path.read_text(errors="replace").splitlines()
            return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return None


def context_files(folder: Path, always: tuple[str, ...] = ()) -> list[Path]:
    """The files the builder is sent, plus `always` (folder-relative), sorted."""
    patterns = dockerignore_patterns(folder)
    if patterns is None:
        files = {p for p in folder.rglob("*") if p.is_file()}
    else:
        files = {folder / rel for rel in exclude_paths(str(folder), patterns, "Dockerfile")}
        files = {p for p in files if p.is_file()}
    files |= {folder / name for name in always if (folder / name).is_file()}
    return sorted(p for p in files if not IGNORED_PARTS & set(p.relative_to(folder).parts))


def folder_hash(folder: Path, *extra: str, always: tuple[str, ...] = ()) -> str:
    """sha256 over every context file's relative path, executable bit and bytes, plus `extra`
    strings."""
    digest = hashlib.sha256()
    for path in context_files(folder, always):
        rel = path.relative_to(folder)
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(b"x" if os.stat(path).st_mode & 0o111 else b"-")
        digest.update(path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:12]
