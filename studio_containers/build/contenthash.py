"""Content hashes that name image builds: same inputs, same tag, so unchanged images are skipped."""
import hashlib
from pathlib import Path

IGNORED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}


def folder_hash(folder: Path, *extra: str) -> str:
    """sha256 over every file's relative path, executable bit and bytes, plus `extra` strings."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if IGNORED_PARTS & set(rel.parts):
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(b"x" if path.stat().st_mode & 0o111 else b"-")
        digest.update(path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:12]
