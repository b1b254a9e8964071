"""Layers read from `docker save`: works with any engine, local or remote, but the engine packs
every layer of the image into the stream, read or not."""
import io
import json
import posixpath
import tarfile

from .layer_facts import ACCOUNT_FILES, LayerFacts


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


def read(image, wanted: set[str], known: set[str] = frozenset()) -> dict[int, LayerFacts]:
    """Facts per layer index (base first) of at least the layers whose diff IDs are `wanted`.

    Docker's OCI-layout save names an uncompressed layer by its diff ID, so one already `known`
    (cached) is skipped. Every other member is read: the older layout (`<id>/layer.tar`) names
    no digest, and the containerd image store's save holds compressed layers named by their
    compressed digest, which is no diff ID."""
    facts: dict[str, LayerFacts] = {}
    aliases: dict[str, str] = {}    # the older layout links a layer saved twice to its first copy
    manifest = None
    stream = io.BufferedReader(_Chunks(image.save(named=False)), buffer_size=1 << 20)
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            if member.name == "manifest.json":
                manifest = json.load(outer.extractfile(member))
            elif member.issym() and member.name.endswith("layer.tar"):
                aliases[member.name] = posixpath.normpath(
                    posixpath.join(posixpath.dirname(member.name), member.linkname))
            elif member.isfile() and (member.name.endswith("layer.tar")
                                      or member.name.startswith("blobs/")):
                digest = "sha256:" + member.name.rsplit("/", 1)[-1]
                if member.name.startswith("blobs/sha256/") and digest in known - wanted:
                    continue
                try:
                    facts[member.name] = read_layer_tar(outer.extractfile(member))
                except tarfile.ReadError:
                    continue   # a blob that is not a layer (config, manifest)
    if not manifest:
        raise ValueError("docker save produced no manifest.json")
    names = [aliases.get(name, name) for name in manifest[0]["Layers"]]
    return {index: facts[name] for index, name in enumerate(names) if name in facts}


def read_layer_tar(stream) -> LayerFacts:
    facts = LayerFacts()
    with tarfile.open(fileobj=stream, mode="r|*") as layer:
        for member in layer:
            # Only a leading "./" goes: a root-level ".wh.opt" or ".hidden" keeps its dot.
            name = member.name.removeprefix("./").lstrip("/")
            path = posixpath.normpath(name) if name not in ("", ".") else ""
            if not path or path == ".":
                continue
            base = posixpath.basename(path)
            if base == ".wh..wh..opq":
                facts.opaque_dirs.add(posixpath.dirname(path))
                continue
            if base.startswith(".wh."):
                facts.whiteouts.add(posixpath.join(posixpath.dirname(path), base[4:]))
                continue
            facts.add(path, member.uid, member.gid)
            if path in ACCOUNT_FILES and member.isfile():
                facts.accounts[path] = layer.extractfile(member).read().decode(errors="replace")
    return facts.done()
