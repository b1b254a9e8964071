"""Images written here as `docker load` archives, byte for byte the same from the same inputs.

The bases the tool makes (the Debian base, the base with extra CAs) are loaded rather than
built: the same inputs then give the same layers and the same image id on every engine and
after every engine reset. BuildKit keys its cache on the base's layers, and the content-hash
tags on the base's id, so a fresh engine (a CI runner) can reuse a pushed image's cache and
finds its images up to date.
"""
import hashlib
import io
import json
import platform
import tarfile
from dataclasses import dataclass
from pathlib import Path

import docker

from ..errors import UserError

ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class Entry:
    """One file or folder of a layer written here."""
    path: str                   # absolute path in the image
    data: bytes | None = None   # None: a folder
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


def host_architecture() -> str:
    machine = platform.machine().lower()
    return ARCHITECTURES.get(machine, machine)


def layer_bytes(entries: list[Entry], mtime: int) -> bytes:
    """A layer tar of `entries`, in path order, every time stamp `mtime`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted(entries, key=lambda e: e.path):
            info = tarfile.TarInfo(entry.path.strip("/") + ("/" if entry.data is None else ""))
            info.mtime, info.mode, info.uid, info.gid = mtime, entry.mode, entry.uid, entry.gid
            info.uname = info.gname = ""
            if entry.data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
    return out.getvalue()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def config_bytes(config: dict) -> bytes:
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def image_id(config: dict) -> str:
    return "sha256:" + hashlib.sha256(config_bytes(config)).hexdigest()


def write_archive(out: Path, tag: str, config: dict, layers: list[Path]) -> None:
    """A `docker save`-style archive: manifest.json, the config, each layer's tar."""
    data = config_bytes(config)
    config_name = hashlib.sha256(data).hexdigest() + ".json"
    names = [f"layer-{i}.tar" for i in range(len(layers))]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": names}]).encode()
    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, blob in ((config_name, data), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        for name, layer in zip(names, layers):
            tar.add(str(layer), arcname=name)


def load_archive(client: docker.DockerClient, archive: Path) -> None:
    """`docker load` the archive; raises UserError with the engine's reason."""
    with open(archive, "rb") as f:
        for chunk in client.api.load_image(f, quiet=True):
            if "errorDetail" in chunk or "error" in chunk:
                reason = (chunk.get("errorDetail") or {}).get("message") or chunk.get("error")
                raise UserError(f"docker load of {archive.name} failed: {reason}")


def read_saved(client: docker.DockerClient, ref: str, folder: Path) -> tuple[dict, list[Path]]:
    """`docker save` of `ref` unpacked in `folder`: its config, and its layers' tar files in
    order (docker-archive or OCI layout, as the engine writes it)."""
    image = client.images.get(ref)
    saved = folder / "saved.tar"
    with open(saved, "wb") as f:
        for chunk in image.save(named=False):
            f.write(chunk)
    unpacked = folder / "saved"
    with tarfile.open(saved) as tar:
        tar.extractall(unpacked, filter="data")
    saved.unlink()
    manifest = json.loads((unpacked / "manifest.json").read_text())[0]
    config = json.loads((unpacked / manifest["Config"]).read_text())
    return config, [unpacked / layer for layer in manifest["Layers"]]
