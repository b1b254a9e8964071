"""What every build starts from: an engine that answers, the base images build FROM, and the
builder (found only when something is built: a task with nothing to build never asks)."""
from dataclasses import dataclass
from functools import cached_property

import docker

from ..certs import extra_ca_certs
from ..settings import Settings
from .baseimage import Base, resolve_base
from .builder import Builder, announce, find_builder
from .dockerbuild import BuildRequest, run_build
from .engine import ensure_engine
from .outcome import BuildOutcome


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    client: docker.DockerClient
    base: Base

    @cached_property
    def builder(self) -> Builder:
        found = find_builder(self.client, self.settings.builder)
        announce(found)
        return found

    def build(self, request: BuildRequest, verbose: bool = False) -> BuildOutcome:
        return run_build(self.client, request, self.builder, mirror=self.settings.registry_mirror,
                         base_image=self.settings.base_image, verbose=verbose)


def open_workspace(settings: Settings) -> Workspace:
    certs = extra_ca_certs(settings.extra_ca_certs)  # validated before any engine work
    client = ensure_engine(settings.state_dir)
    base = resolve_base(client, settings.base_image, settings.cache_dir, certs,
                        settings.debian_mirror, settings.registry_mirror)
    return Workspace(settings=settings, client=client, base=base)
