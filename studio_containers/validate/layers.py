"""Reads every layer of an image (`docker save`), not just the final tree.

Studio refuses an image with a file owned by a UID/GID above 65535 in *any* layer, even one a
later layer deletes, so ownership is read layer by layer. The final tree (after whiteouts) is
kept as a set of paths, with /etc/passwd and /etc/group, for the checks that need it.
"""
import io
import json
import posixpath
import tarfile
from dataclasses import dataclass, field

from ..studio import MAX_ID

ACCOUNT_FILES = ("etc/passwd", "etc/group")


@dataclass
class LayerFacts:
    high_ids: list[tuple[str, int, int]] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    whiteouts: set[str] = field(default_factory=set)
    opaque_dirs: set[str] = field(default_factory=set)
    accounts: dict[str, str] = field(default_factory=dict)


@dataclass
class ImageLayers:
    layers: list[LayerFacts]        # in order, base first
    final_paths: set[str]
    accounts: dict[str, str]        # final /etc/passwd and /etc/group


class _Chunks(io.RawIOBase):
    """A file object over docker-py's chunk generator, for tarfile's stream mode."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._current:
            try:
                self._current = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._current))
        buffer[:size] = self._current[:size]
        self._current = self._current[size:]
        return size


def read_layers(image) -> ImageLayers:
    facts: dict[str, LayerFacts] = {}
    manifest = None
    stream = io.BufferedReader(_Chunks(image.save(named=False)), buffer_size=1 << 20)
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            if member.name == "manifest.json":
                manifest = json.load(outer.extractfile(member))
            elif member.isfile() and (member.name.endswith("layer.tar")
                                      or member.name.startswith("blobs/")):
                stream = outer.extractfile(member)
                try:
                    facts[member.name] = _read_layer(stream)
                except tarfile.ReadError:
                    continue   # a blob that is not a layer (config, manifest)
    if not manifest:
        raise ValueError("docker save produced no manifest.json")
    ordered = [facts.get(name, LayerFacts()) for name in manifest[0]["Layers"]]
    final: set[str] = set()
    accounts: dict[str, str] = {}
    for layer in ordered:
        for opaque in layer.opaque_dirs:
            final = {p for p in final if not p.startswith(opaque + "/")}
        for gone in layer.whiteouts:
            final = {p for p in final if p != gone and not p.startswith(gone + "/")}
            accounts.pop(gone, None)
        final |= layer.paths
        accounts.update(layer.accounts)
    return ImageLayers(ordered, final, accounts)


def _read_layer(stream) -> LayerFacts:
    facts = LayerFacts()
    with tarfile.open(fileobj=stream, mode="r|*") as layer:
        for member in layer:
            path = posixpath.normpath(member.name.lstrip("./")) if member.name not in (".", "./") else ""
            if not path or path == ".":
                continue
            base = posixpath.basename(path)
            if base == ".wh..wh..opq":
                facts.opaque_dirs.add(posixpath.dirname(path))
                continue
            if base.startswith(".wh."):
                facts.whiteouts.add(posixpath.join(posixpath.dirname(path), base[4:]))
                continue
            facts.paths.add(path)
            if member.uid > MAX_ID or member.gid > MAX_ID:
                facts.high_ids.append(("/" + path, member.uid, member.gid))
            if path in ACCOUNT_FILES and member.isfile():
                facts.accounts[path] = layer.extractfile(member).read().decode(errors="replace")
    return facts


def resolve_user(user: str, accounts: dict[str, str]) -> tuple[int, int] | None:
    """UID/GID of an image's USER ("", "name", "uid", "name:group", "uid:gid"); None if unknown."""
    if not user:
        return 0, 0
    name, _, group = user.partition(":")
    passwd = [line.split(":") for line in accounts.get("etc/passwd", "").splitlines()
              if line.count(":") >= 3]
    groups = [line.split(":") for line in accounts.get("etc/group", "").splitlines()
              if line.count(":") >= 2]
    uid = gid = None
    if name.isdigit():
        uid = int(name)
        gid = next((int(p[3]) for p in passwd if p[2] == name and p[3].isdigit()), None)
    else:
        entry = next((p for p in passwd if p[0] == name), None)
        if entry is None:
            return None
        uid, gid = int(entry[2]), int(entry[3])
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            found = next((g for g in groups if g[0] == group), None)
            if found is None:
                return None
            gid = int(found[2])
    # Docker runs a user without a primary group (no passwd entry) with the root group.
    return uid, gid if gid is not None else 0
