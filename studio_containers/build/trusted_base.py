"""The base with the extra CAs builds must trust (build.extra_ca_certs), written as one layer.

The layer adds each certificate under /usr/local/share/ca-certificates (where a later
`update-ca-certificates` in a Dockerfile finds it again), appends them to the system bundle,
and points pip and requests at that bundle. It is written here rather than built (a RUN step
would stamp the time into it), so the same base and certificates give the same image id on
any engine: BuildKit's cache and the content-hash tags both follow from it.
"""
import hashlib
import posixpath
import re
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import docker

from ..console import say
from ..errors import UserError
from .image_archive import Entry, layer_bytes, load_archive, read_saved, write_archive
from .pulls import image_exists

TRUSTED_REPO = "studio-containers/trusted-base"
CA_DIR = "/usr/local/share/ca-certificates/studio-containers"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ENV = {"PIP_CERT": SYSTEM_BUNDLE, "REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE}
FORMAT = "2"        # part of the tag: a change to what the layer holds makes a new base


def trusted_tag(base_id: str, certs: list[Path]) -> str:
    digest = hashlib.sha256((FORMAT + base_id).encode())
    for cert in certs:
        digest.update(cert.read_bytes())
    return f"{TRUSTED_REPO}:{digest.hexdigest()[:12]}"


def with_extra_cas(client: docker.DockerClient, base: str, certs: list[Path]) -> str:
    """`base` plus a layer trusting `certs`: its tag, made once per base and certificates."""
    tag = trusted_tag(client.images.get(base).id, certs)
    if image_exists(client, tag):
        return tag
    say(f"Adding {len(certs)} extra CA certificate(s) to the base's trust store "
        f"({', '.join(c.name for c in certs)}; setting build.extra_ca_certs)")
    with tempfile.TemporaryDirectory(prefix="studio-containers-trusted-base-") as scratch:
        folder = Path(scratch)
        config, layers = read_saved(client, base, folder)
        mtime = _timestamp(config.get("created"))
        layer = folder / "extra-cas.tar"
        layer.write_bytes(layer_bytes(_entries(layers, certs), mtime))
        config = _trusting(config, layer)
        archive = folder / "trusted-base.tar"
        write_archive(archive, tag, config, [*layers, layer])
        load_archive(client, archive)
    # Layers, not the id: an engine with the containerd image store names images by manifest.
    if client.images.get(tag).attrs["RootFS"]["Layers"] != config["rootfs"]["diff_ids"]:
        raise UserError(f"{tag}: the engine loaded other layers than the ones written for it")
    return tag


def _trusting(config: dict, layer: Path) -> dict:
    config = {k: v for k, v in config.items() if not k.startswith("moby.buildkit.")}
    inner = dict(config.get("config") or {})
    env = [e for e in inner.get("Env") or [] if e.split("=", 1)[0] not in ENV]
    inner["Env"] = env + [f"{k}={v}" for k, v in ENV.items()]
    config["config"] = inner
    rootfs = dict(config.get("rootfs") or {"type": "layers"})
    rootfs["diff_ids"] = [*rootfs.get("diff_ids", []),
                          "sha256:" + hashlib.sha256(layer.read_bytes()).hexdigest()]
    config["rootfs"] = rootfs
    config["history"] = [*config.get("history", []), {
        "created": config.get("created"),
        "created_by": f"studio-containers: extra CA certificates in {CA_DIR} and {SYSTEM_BUNDLE} "
                      "(build.extra_ca_certs)"}]
    return config


def _entries(layers: list[Path], certs: list[Path]) -> list[Entry]:
    """The layer's files: each certificate, the bundle with them appended, and every folder
    above them, as the base has it (a layer made by a build carries its changed files' parent
    folders too), or new. Where the base has a symlink (a folder, or the bundle itself), the
    files go where it points, as a build writing through it would put them."""
    paths = [f"{CA_DIR}/x", SYSTEM_BUNDLE]
    for _ in range(8):
        folders = sorted({p for path in paths for p in _parents(path)})
        base = BaseFiles(layers, [*paths, *folders])
        resolved = [_through_links(base, path) for path in paths]
        if resolved == paths:
            break
        paths = resolved
    ca_dir = posixpath.dirname(paths[0])
    pems = [cert.read_bytes() for cert in certs]
    entries = [Entry(f"{ca_dir}/extra-{i}-{cert.stem}.crt", pem) for i, (cert, pem)
               in enumerate(zip(certs, pems))]
    bundle_path, found = _bundle(base, layers, paths[1])
    data, mode, uid, gid = found or (b"", 0o644, 0, 0)
    data = data + (b"" if not data or data.endswith(b"\n") else b"\n")
    data += b"".join(p if p.endswith(b"\n") else p + b"\n" for p in pems)
    entries.append(Entry(bundle_path, data, mode, uid, gid))
    known = base if bundle_path == paths[1] else BaseFiles(layers, _parents(bundle_path) + folders)
    for folder in sorted({p for e in entries for p in _parents(e.path)}):
        mode, uid, gid = known.folder(folder) or (0o755, 0, 0)
        entries.append(Entry(folder, None, mode, uid, gid))
    return entries


def _through_links(base: "BaseFiles", path: str) -> str:
    """`path` with its first parent folder that is a symlink in the base followed."""
    for parent in reversed(_parents(path)):         # from the top down
        link = base.links.get(parent.strip("/"))
        if link is not None:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(parent), link))
            return target + path[len(parent):]
    return path


def _bundle(base: "BaseFiles", layers: list[Path], path: str
            ) -> tuple[str, tuple[bytes, int, int, int] | None]:
    """Where the base's CA bundle is (a symlink to it followed), and its content, mode and
    owner; None for a base without one."""
    for _ in range(4):
        link = base.links.get(path.strip("/"))
        if link is None:
            return path, base.file(path)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
        base = BaseFiles(layers, [path])
    return path, None


def _parents(path: str) -> list[str]:
    parents = []
    while (path := posixpath.dirname(path)) not in ("/", ""):
        parents.append(path)
    return parents


class BaseFiles:
    """Some files and folders of the base as its layers leave them (whiteouts applied), read
    from the layer tars of its `docker save`, top layer first."""

    def __init__(self, layers: list[Path], wanted: list[str]):
        self.found: dict[str, tarfile.TarInfo] = {}
        self.data: dict[str, bytes] = {}
        self.links: dict[str, str] = {}
        pending = {w.strip("/") for w in wanted}
        for layer in reversed(layers):
            if not pending:
                break
            hidden = set()
            with tarfile.open(layer, mode="r:*") as tar:
                for member in tar:
                    name = member.name[2:] if member.name.startswith("./") else member.name
                    folder, base = posixpath.split(name.rstrip("/"))
                    if base == ".wh..wh..opq":     # an opaque folder hides what is below it
                        hidden |= {w for w in pending if w.startswith(folder + "/")}
                    elif base.startswith(".wh."):
                        gone = posixpath.join(folder, base[4:])
                        hidden |= {w for w in pending if w == gone or w.startswith(gone + "/")}
                    elif (key := name.rstrip("/")) in pending:
                        self.found[key] = member
                        if member.isfile() or member.islnk():     # a hard link reads as its file
                            self.data[key] = tar.extractfile(member).read()
                        elif member.issym():
                            self.links[key] = member.linkname
            pending -= set(self.found) | hidden

    def folder(self, path: str) -> tuple[int, int, int] | None:
        member = self.found.get(path.strip("/"))
        return (member.mode & 0o7777, member.uid, member.gid) if member and member.isdir() else None

    def file(self, path: str) -> tuple[bytes, int, int, int] | None:
        key = path.strip("/")
        if key not in self.data:
            return None
        member = self.found[key]
        return self.data[key], member.mode & 0o7777, member.uid, member.gid


def _timestamp(created: str | None) -> int:
    """The base's creation time, the one stamp the layer's files get."""
    match = re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", created or "")
    if not match:
        return 0
    moment = datetime.strptime(match[0], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(moment.timestamp())
