"""An image's layers as Studio sees them, not just its final tree.

Studio refuses an image with a file owned by a UID/GID above 65535 in *any* layer, even one a
later layer deletes, so ownership is read layer by layer. The final tree (after whiteouts) is
kept as a set of paths, with /etc/passwd and /etc/group, for the checks that need it.

A layer's facts depend only on its content, so they are cached by its diff ID (the digest of
its content): an image that differs from a validated one in its top layers reads only those.
A layer not seen before is read from the engine's own layer folder when this process can see
it (`layer_dirs`), else from `docker save` (`layer_tar`).
"""
import posixpath
from dataclasses import dataclass

from ..errors import UserError
from . import layer_dirs, layer_tar
from .layer_cache import LayerCache
from .layer_facts import LayerFacts


@dataclass
class ImageLayers:
    layers: list[LayerFacts]        # in order, base first
    final_paths: set[str]
    accounts: dict[str, str]        # final /etc/passwd and /etc/group
    read: int = 0                   # how many layers were read rather than taken from the cache
    saved: int = 0                  # how many of them through `docker save`


def read_layers(image, cache: LayerCache | None = None, *, folders_readable: bool = True
                ) -> ImageLayers:
    """`folders_readable`: False when the engine's layer folders do not hold the image's own
    owners (user namespaces, rootless) or this process cannot read them all (not root)."""
    diff_ids = image.attrs["RootFS"]["Layers"]
    known = {d: cache.get(d) for d in set(diff_ids)} if cache else {}
    missing = sorted({i for i, d in enumerate(diff_ids) if known.get(d) is None})
    saved = 0
    if missing:
        read = layer_dirs.read(image.attrs, missing) if folders_readable else None
        if read is None:
            read = layer_tar.read(image, {diff_ids[i] for i in missing},
                                  {d for d, facts in known.items() if facts is not None})
            saved = len(missing)
        for index in missing:
            if index not in read:
                raise UserError(f"layer {index + 1} of {len(diff_ids)} of {image.id[:19]} is not "
                                "in what `docker save` gave; validation cannot read it")
            known[diff_ids[index]] = read[index]
            if cache:
                cache.put(diff_ids[index], read[index])
    combined = combine([known[d] for d in diff_ids])
    combined.read, combined.saved = len(missing), saved
    return combined


def combine(ordered: list[LayerFacts]) -> ImageLayers:
    """The final tree of layers stacked base first: each layer's whiteouts and opaque folders
    hide what the layers below it hold."""
    final: set[str] = set()
    accounts: dict[str, str] = {}
    for layer in ordered:
        if layer.whiteouts or layer.opaque_dirs:
            final = {p for p in final if not _hidden(p, layer)}
            for gone in layer.whiteouts:
                accounts.pop(gone, None)
        final |= layer.paths
        accounts.update(layer.accounts)
    return ImageLayers(ordered, final, accounts)


def _hidden(path: str, layer: LayerFacts) -> bool:
    if path in layer.whiteouts:
        return True
    parent = posixpath.dirname(path)
    while parent:
        if parent in layer.whiteouts or parent in layer.opaque_dirs:
            return True
        parent = posixpath.dirname(parent)
    return False


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
