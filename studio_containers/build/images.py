"""Build the images under images/: one tag per content hash, plus a stable :latest."""
import time
from dataclasses import dataclass
from typing import Protocol

import docker

from ..console import say
from ..spec import ImageSpec
from . import dockerfile as dockerfile_syntax
from .baseimage import Base
from .contenthash import folder_hash
from .dockerbuild import BuildRequest, BuildSecret, image_exists
from .parents import parent_ids
from .registry_login import RegistryLogin
from .workspace import Workspace

REPO_PREFIX = "studio-containers/"
LABEL = "studio-containers"


@dataclass(frozen=True)
class BuiltImage:
    spec: ImageSpec
    ref: str            # repository:content-hash
    content_hash: str
    image_id: str
    rebuilt: bool


class CacheSource(Protocol):
    """Where an image's build may take cached steps from: pushed images carrying an inline
    cache (deploy/registry_cache.py reads them from ECR), and the logins to read them."""

    def for_image(self, spec: ImageSpec, content_hash: str
                  ) -> tuple[tuple[str, ...], tuple[RegistryLogin, ...]]: ...


def repository(spec: ImageSpec) -> str:
    return REPO_PREFIX + spec.name


def build_args(spec: ImageSpec, base: Base) -> dict[str, str]:
    return {"BASE_IMAGE": base.ref, **dict(spec.build.args)}


def content_hash(spec: ImageSpec, base: Base, client: docker.DockerClient) -> str:
    dockerfile = spec.dockerfile.read_text(errors="replace")
    return folder_hash(spec.folder, base.image_id, spec.platform,
                       *parent_ids(client, dockerfile, build_args(spec, base)),
                       always=(spec.spec_file.name,))


def build_image(workspace: Workspace, spec: ImageSpec, verbose: bool = False,
                cache: CacheSource | None = None) -> BuiltImage:
    client, base = workspace.client, workspace.base
    digest = content_hash(spec, base, client)
    ref = f"{repository(spec)}:{digest}"
    rebuilt = not image_exists(client, ref)
    if rebuilt:
        say(f"Building {spec.name} from {spec.dockerfile} as {ref}")
        started = time.monotonic()
        cache_from, logins = cache.for_image(spec, digest) if cache else ((), ())
        request = BuildRequest(
            context=spec.folder, tag=ref, title=str(spec.dockerfile),
            buildargs=build_args(spec, base), network=workspace.settings.build_network,
            platform=spec.platform,
            labels={f"{LABEL}.image": spec.name, f"{LABEL}.content-hash": digest},
            secrets=tuple(BuildSecret(s.id, s.file, s.env, s.field) for s in spec.build.secrets),
            cache_from=cache_from, logins=logins,
            failure_hint=" (rerun with --verbose for the whole output)")
        outcome = workspace.build(request, verbose)
        say(f"Built {spec.name} in {time.monotonic() - started:.1f}s ({outcome.summary()})")
    else:
        say(f"{spec.name} is up to date ({ref}); not rebuilt")
    image = client.images.get(ref)
    image.tag(repository(spec), "latest")
    return BuiltImage(spec=spec, ref=ref, content_hash=digest, image_id=image.id, rebuilt=rebuilt)


def build_order(specs: list[ImageSpec], base: Base) -> list[ImageSpec]:
    """`specs`, each after the images of this project it is built FROM (and in its place
    otherwise), so that a parent is built before its children look for it."""
    by_repository = {repository(s): s for s in specs}
    ordered, placed = [], set()

    def place(spec: ImageSpec, seen: tuple[str, ...]) -> None:
        if spec.name in placed or spec.name in seen:
            return
        parsed = dockerfile_syntax.parse(spec.dockerfile.read_text(errors="replace"))
        for _, image, _ in parsed.from_images(build_args(spec, base)):
            parent = by_repository.get((image or "").rsplit(":", 1)[0].split("@")[0])
            if parent is not None:
                place(parent, (*seen, spec.name))
        placed.add(spec.name)
        ordered.append(spec)
    for spec in specs:
        place(spec, ())
    return ordered


def build_images(workspace: Workspace, specs: list[ImageSpec], verbose: bool = False,
                 cache: CacheSource | None = None) -> list[BuiltImage]:
    built = {s.name: build_image(workspace, s, verbose, cache)
             for s in build_order(specs, workspace.base)}
    if built and not any(b.rebuilt for b in built.values()):
        say(f"Nothing to rebuild: {len(built)} image(s) up to date")
    return [built[s.name] for s in specs]
