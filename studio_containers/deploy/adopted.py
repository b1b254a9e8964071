"""Images adopted with `invoke import`: what `up` does differently for them.

An adopted image keeps what its team made by hand: its ECR repository (outside this stack: the
pushes go there, Terraform does not manage it), its role, description and other tags, and the
image its current version runs. Its record entry holds them under "adopted":

- `repository`, `repository_uri`, `repository_arn`: where its versions' images are;
- `reference`, `digest`: the current version's BaseImage as AWS has it, and its digest;
- `fingerprint`: the build context as the import wrote it (image.yaml and README left out, as
  they do not change the image); while the folder has it, the build is that image unchanged, so
  nothing is pushed and the version stays;
- `as_written`, `live`: Terraform inputs the import's image.yaml gives, and the ones that keep
  AWS as it is (a display name AWS never had, say). An input the user has not changed since the
  import is given its live value; a changed one is applied;
- `offers_latest`: the domain listed the image without a version number, which means the latest.
"""
import hashlib
import os
from pathlib import Path

import docker
from docker.errors import DockerException, ImageNotFound

from ..build.contenthash import context_files
from ..build.images import BuiltImage
from ..console import say
from ..errors import UserError
from .contract import ADOPTED_INPUTS
from .push import PushedImage, registry_login

NOT_THE_IMAGE = {"image.yaml", "README.md"}


def fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in context_files(folder):
        relative = path.relative_to(folder).as_posix()
        if relative in NOT_THE_IMAGE:
            continue
        digest.update(relative.encode() + b"\0")
        digest.update(b"x" if os.stat(path).st_mode & 0o111 else b"-")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def of(record_images: dict, name: str) -> dict | None:
    return (record_images.get(name) or {}).get("adopted")


def names(record_images: dict) -> set[str]:
    return {name for name in record_images if of(record_images, name)}


def repositories(record_images: dict) -> dict[str, str]:
    """Image name → its team's ECR repository, for the adopted images."""
    return {name: of(record_images, name)["repository"] for name in names(record_images)}


def unchanged(record_images: dict, built: BuiltImage) -> PushedImage | None:
    """The adopted version, when the build is still the image the import found."""
    adopted = of(record_images, built.spec.name)
    if adopted is None or fingerprint(built.spec.folder) != adopted["fingerprint"]:
        return None
    return PushedImage(built.spec.name, adopted["repository_uri"], built.content_hash,
                       adopted["digest"], pushed=False, reference=adopted["reference"])


def inputs(record_images: dict, name: str, from_spec: dict) -> dict:
    """The Terraform inputs of an image: for an adopted one, its live values where the spec
    still says what the import wrote, and its repository, role, description and tags."""
    adopted = of(record_images, name)
    if adopted is None:
        return from_spec
    kept = {key: adopted["live"][key] if value == adopted["as_written"].get(key) else value
            for key, value in from_spec.items()}
    return {**kept, **{key: adopted["live"][key] for key in ADOPTED_INPUTS}}


def config_name(record_images: dict, name: str) -> str:
    """The image's AppImageConfig: an adopted one keeps its own name."""
    return (of(record_images, name) or {}).get("config_name") or name


def pinned_while_unchanged(record_images: dict, pushed: PushedImage) -> int | None:
    """The version an adopted image's domain entry named at the import, while its build is
    still the adopted image (`up` keeps the domain as it was); None for any other."""
    adopted = of(record_images, pushed.name)
    if adopted is None or pushed.pushed or pushed.reference is None:
        return None
    return adopted.get("pinned_at_import")


def pull_images(client: docker.DockerClient, ecr, record_images: dict,
                folders: dict[str, Path]) -> None:
    """The adopted images' current images in the engine, pulled with ECR's login, for the
    folders (image name → folder) still as the import wrote them: those build FROM that image,
    and the build itself has no login for a registry that needs one."""
    for name in sorted(names(record_images) & set(folders)):
        adopted = of(record_images, name)
        if fingerprint(folders[name]) != adopted["fingerprint"]:
            continue
        reference = f"{adopted['repository_uri']}@{adopted['digest']}"
        try:
            client.images.get(reference)
            continue
        except ImageNotFound:
            pass
        username, password, _ = registry_login(ecr)
        say(f"{name}: pulling its adopted image {reference}")
        try:
            client.images.pull(reference, auth_config={"username": username,
                                                       "password": password})
        except DockerException as exc:
            raise UserError(f"{name}: cannot pull its adopted image {reference}: "
                            f"{getattr(exc, 'explanation', None) or exc}") from None
