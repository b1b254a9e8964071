"""Build the images under images/: one tag per content hash, plus a stable :latest."""
import time
from dataclasses import dataclass

import docker

from ..console import say
from ..spec import ImageSpec
from .baseimage import Base
from .contenthash import folder_hash
from .dockerbuild import image_exists, run_build
from .parents import parent_ids

REPO_PREFIX = "studio-containers/"
LABEL = "studio-containers"


@dataclass(frozen=True)
class BuiltImage:
    spec: ImageSpec
    ref: str            # repository:content-hash
    content_hash: str
    image_id: str
    rebuilt: bool


def repository(spec: ImageSpec) -> str:
    return REPO_PREFIX + spec.name


def content_hash(spec: ImageSpec, base: Base, client: docker.DockerClient) -> str:
    return folder_hash(spec.folder, base.image_id, spec.platform,
                       *parent_ids(client, spec.dockerfile.read_text(errors="replace")))


def build_image(client: docker.DockerClient, spec: ImageSpec, base: Base,
                network: str | None, verbose: bool = False) -> BuiltImage:
    digest = content_hash(spec, base, client)
    ref = f"{repository(spec)}:{digest}"
    rebuilt = not image_exists(client, ref)
    if rebuilt:
        say(f"Building {spec.name} from {spec.dockerfile} as {ref}")
        started = time.monotonic()
        run_build(client, spec.folder, ref, title=str(spec.dockerfile),
                  buildargs={"BASE_IMAGE": base.ref}, network=network, verbose=verbose,
                  labels={f"{LABEL}.image": spec.name, f"{LABEL}.content-hash": digest},
                  failure_hint=" (rerun with --verbose for the whole output)")
        say(f"Built {spec.name} in {time.monotonic() - started:.1f}s")
    else:
        say(f"{spec.name} is up to date ({ref}); not rebuilt")
    image = client.images.get(ref)
    image.tag(repository(spec), "latest")
    return BuiltImage(spec=spec, ref=ref, content_hash=digest, image_id=image.id, rebuilt=rebuilt)


def build_images(client, specs, base, network, verbose=False) -> list[BuiltImage]:
    built = [build_image(client, s, base, network, verbose) for s in specs]
    if built and not any(b.rebuilt for b in built):
        say(f"Nothing to rebuild: {len(built)} image(s) up to date")
    return built
