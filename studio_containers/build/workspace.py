"""What every build starts from: an engine that answers and the base images build FROM."""
from dataclasses import dataclass

import docker

from ..settings import Settings
from .baseimage import Base, resolve_base
from .certs import extra_ca_certs
from .engine import ensure_engine


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    client: docker.DockerClient
    base: Base


def open_workspace(settings: Settings) -> Workspace:
    certs = extra_ca_certs(settings.extra_ca_certs)  # validated before any engine work
    client = ensure_engine(settings.state_dir)
    base = resolve_base(client, settings.base_image, settings.cache_dir, certs,
                        settings.build_network, settings.debian_mirror)
    return Workspace(settings=settings, client=client, base=base)
