"""The base every image builds FROM (`BASE_IMAGE` build argument), resolved once per run.

Order: the configured base if the engine has it, else a pull, else an equivalent base made from
Debian packages. When extra CAs are configured/detected, a thin layer adding them to the base's
trust store goes on top, so `pip install` in a Dockerfile works behind a TLS-inspecting proxy
without ever turning verification off.
"""
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import DockerException

from ..console import say, warn
from .debian_base import IMAGE as DEBIAN_BASE
from .debian_base import ensure_debian_base
from .dockerbuild import image_exists, run_build

TRUSTED_REPO = "studio-containers/trusted-base"
CA_DIR = "/usr/local/share/ca-certificates/studio-containers"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@dataclass(frozen=True)
class Base:
    ref: str        # what BASE_IMAGE is set to
    image_id: str   # content identity, part of every image's hash
    origin: str     # what was asked for (build.base_image)


def resolve_base(client: docker.DockerClient, configured: str, cache_dir: Path, certs: list[Path],
                 network: str | None, debian_mirror: str | None = None) -> Base:
    ref = configured
    if not image_exists(client, configured):
        try:
            client.images.pull(configured)
            say(f"Pulled base image {configured}")
        except DockerException as exc:
            reason = str(getattr(exc, "explanation", None) or exc).splitlines()[0][:160]
            if image_exists(client, DEBIAN_BASE):
                say(f"Base: {DEBIAN_BASE} (build.base_image {configured} cannot be pulled)")
            else:
                warn(f"build.base_image {configured} cannot be pulled ({reason}); "
                     "using an equivalent base made from Debian packages")
            ref = ensure_debian_base(client, cache_dir, debian_mirror)
    if certs:
        ref = _with_certs(client, ref, certs, network)
    return Base(ref=ref, image_id=client.images.get(ref).id, origin=configured)


def _with_certs(client: docker.DockerClient, base: str, certs: list[Path], network: str | None) -> str:
    base_image = client.images.get(base)
    digest = hashlib.sha256(base_image.id.encode())
    for cert in certs:
        digest.update(cert.read_bytes())
    tag = f"{TRUSTED_REPO}:{digest.hexdigest()[:12]}"
    if image_exists(client, tag):
        return tag
    say(f"Adding {len(certs)} extra CA certificate(s) to the base's trust store "
        f"({', '.join(c.name for c in certs)}; setting build.extra_ca_certs)")
    base_user = base_image.attrs.get("Config", {}).get("User") or ""
    with tempfile.TemporaryDirectory() as ctx:
        for i, cert in enumerate(certs):
            shutil.copy(cert, Path(ctx) / f"extra-{i}-{cert.stem}.crt")
        # update-ca-certificates where the base has it, else append to the bundle directly.
        # pip and requests use their own bundle unless told: point them at the system one.
        (Path(ctx) / "Dockerfile").write_text(
            f"FROM {base}\n"
            "USER root\n"
            f"COPY *.crt {CA_DIR}/\n"
            f"RUN if command -v update-ca-certificates >/dev/null; then update-ca-certificates; "
            f"else cat {CA_DIR}/*.crt >> {SYSTEM_BUNDLE}; fi\n"
            f"ENV PIP_CERT={SYSTEM_BUNDLE} REQUESTS_CA_BUNDLE={SYSTEM_BUNDLE}\n"
            + (f"USER {base_user}\n" if base_user else ""))
        run_build(client, Path(ctx), tag, title="trusted base", network=network)
    return tag
