"""Layers read straight from the engine's overlay2 folders, when this process can see them.

`docker save` makes the engine pack every layer of the image into one stream, and most of a
validation's time went there. The overlay2 driver keeps each layer unpacked in its own folder
(the image's GraphDriver data names them: UpperDir is the top layer, LowerDir the others from
the top down), so a layer can be read alone. Whiteouts are character devices 0/0 there, opaque
folders carry an overlay xattr. Anything unexpected (another driver, a remote engine, folders
this user cannot read, a layer count that does not match) returns None and the caller falls
back to `docker save`; an integration test holds both readers to the same facts.
"""
import os
import stat
from pathlib import Path

from .layer_facts import ACCOUNT_FILES, LayerFacts

# Rootful overlay2 writes the trusted.* name; an engine using user xattrs, the user.* one.
OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")


def owners_as_in_image(engine_info: dict) -> bool:
    """Whether the engine's layer folders hold the image's own owners and this process can read
    all of them: not with user namespaces or a rootless engine (owners shifted on disk), not
    without root (trusted.* xattrs, which mark opaque folders, are invisible to other users)."""
    options = " ".join(engine_info.get("SecurityOptions") or [])
    return os.geteuid() == 0 and "name=userns" not in options and "name=rootless" not in options


def folders(attrs: dict) -> list[Path] | None:
    """Each layer's folder, base first, or None when they cannot be read here."""
    driver = attrs.get("GraphDriver") or {}
    if driver.get("Name") != "overlay2":
        return None
    data = driver.get("Data") or {}
    upper, lower = data.get("UpperDir"), data.get("LowerDir")
    if not upper:
        return None
    found = [Path(p) for p in reversed(lower.split(":"))] if lower else []
    found.append(Path(upper))
    if len(found) != len((attrs.get("RootFS") or {}).get("Layers") or []):
        return None
    if not all(os.access(f, os.R_OK | os.X_OK) and f.is_dir() for f in found):
        return None
    return found


def read(attrs: dict, indexes: list[int]) -> dict[int, LayerFacts] | None:
    layer_folders = folders(attrs)
    if layer_folders is None:
        return None
    try:
        return {index: read_folder(layer_folders[index]) for index in indexes}
    except OSError:
        return None    # the image was removed meanwhile, or a folder is unreadable


def read_folder(root: Path) -> LayerFacts:
    facts = LayerFacts()
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(os.path.join(root, folder)) as entries:
            for entry in entries:
                path = f"{folder}/{entry.name}" if folder else entry.name
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                    facts.whiteouts.add(path)
                    continue
                facts.add(path, info.st_uid, info.st_gid)
                if stat.S_ISDIR(info.st_mode):
                    if _opaque(entry.path):
                        facts.opaque_dirs.add(path)
                    pending.append(path)
                elif path in ACCOUNT_FILES and stat.S_ISREG(info.st_mode):
                    facts.accounts[path] = _read_file(entry.path)
    return facts.done()


def _opaque(path: str) -> bool:
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def _read_file(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as file:
        return file.read().decode(errors="replace")
