"""The base every image builds FROM (`BASE_IMAGE` build argument), resolved once per run.

Order: the configured base if the engine has it, else a pull, else an equivalent base made from
Debian packages. When extra CAs are configured/detected, a thin layer adding them to the base's
trust store goes on top, so `pip install` in a Dockerfile works behind a TLS-inspecting proxy
without ever turning verification off.
"""
from dataclasses import dataclass
from pathlib import Path

import docker

from ..console import say, warn
from .debian_base import IMAGE as DEBIAN_BASE
from .debian_base import ensure_debian_base
from .pulls import PullFailed, ensure_image, image_exists
from .trusted_base import with_extra_cas


@dataclass(frozen=True)
class Base:
    ref: str        # what BASE_IMAGE is set to
    image_id: str   # content identity, part of every image's hash
    origin: str     # what was asked for (build.base_image)


def resolve_base(client: docker.DockerClient, configured: str, cache_dir: Path, certs: list[Path],
                 debian_mirror: str | None = None, registry_mirror: str | None = None) -> Base:
    ref = configured
    try:
        ensure_image(client, configured, registry_mirror, announce=False)
    except PullFailed as exc:
        reason = str(exc)[:200]
        if image_exists(client, DEBIAN_BASE):
            say(f"Base: {DEBIAN_BASE} (build.base_image {configured} cannot be pulled)")
        else:
            warn(f"build.base_image {configured} cannot be pulled ({reason}); "
                 "using an equivalent base made from Debian packages")
        ref = ensure_debian_base(client, cache_dir, debian_mirror)
    if certs:
        ref = with_extra_cas(client, ref, certs)
    return Base(ref=ref, image_id=client.images.get(ref).id, origin=configured)
