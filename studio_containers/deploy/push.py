"""Push built images to ECR, tagged by content hash; skip what the repository already holds.

The same calls work against AWS and the local AWS: GetAuthorizationToken gives the registry and
its login, DescribeImages says whether a tag is already there and which digest it has.
"""
import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import docker
from botocore.exceptions import ClientError

from ..build.images import BuiltImage
from ..console import Tail, detail, say, show_tail
from ..errors import UserError
from ..files import write_private
from ..wait import NotYet, wait_until
from .contract import repository_name

RECORD_WAIT_SECONDS = 20
PARALLEL_PUSHES = 4


@dataclass(frozen=True)
class PushedImage:
    name: str
    repository_uri: str
    tag: str
    digest: str
    pushed: bool        # False: the tag was already in the repository
    # How an adopted image's version names it, when that is not by this digest (a tag).
    reference: str | None = None

    @property
    def image_uri(self) -> str:
        return self.reference or f"{self.repository_uri}@{self.digest}"


class PushRecord:
    """What was pushed where: state_dir/pushes.json, {target: {image name: PushedImage}}."""

    FILE = "pushes.json"

    def __init__(self, state_dir: Path):
        self.path = state_dir / self.FILE

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError:
            raise UserError(f"{self.path}: not valid JSON; delete it, the next push "
                            "writes it again") from None

    def save(self, target: str, pushed: PushedImage) -> None:
        records = self.read()
        records.setdefault(target, {})[pushed.name] = {**asdict(pushed),
                                                       "image_uri": pushed.image_uri}
        self.write(records)

    def forget(self, target: str) -> None:
        records = self.read()
        if records.pop(target, None) is not None:
            self.write(records)

    def write(self, records: dict) -> None:
        write_private(self.path, json.dumps(records, indent=2, sort_keys=True) + "\n")


def push_images(client: docker.DockerClient, ecr, built: list[BuiltImage], prefix: str,
                record: PushRecord, target: str, create_repository: bool = False,
                adopted: dict[str, str] | None = None) -> list[PushedImage]:
    """`adopted`: image name → the repository of an image adopted with `invoke import`."""
    adopted = adopted or {}
    repositories = [
        repository_for(ecr, adopted.get(image.spec.name) or
                       repository_name(prefix, image.spec.name), create_repository)
        for image in built]
    saving = threading.Lock()

    def push(image: BuiltImage, repository: dict) -> PushedImage:
        # One engine connection per thread: docker-py's HTTP session is not shared safely.
        own = docker.from_env(timeout=300)  # the engine connect() found, from the same env
        try:
            pushed = push_image(own, ecr, image, repository)
        finally:
            own.close()
        with saving:
            record.save(target, pushed)
        return pushed
    # Images share their base layers, so pushes are mostly round trips: a few at once.
    with ThreadPoolExecutor(max_workers=min(PARALLEL_PUSHES, len(built)) or 1) as pool:
        results = list(pool.map(push, built, repositories))
    if not any(p.pushed for p in results):
        say(f"Nothing to push: {len(results)} image(s) already in ECR")
    return results


def repository_for(ecr, name: str, create: bool) -> dict:
    try:
        return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "RepositoryNotFoundException":
            raise UserError(f"ECR DescribeRepositories {name}: {exc}") from None
    if not create:
        raise UserError(f"ECR repository {name} does not exist; `./inv up` creates it, or "
                        "pass --create-repository to `./inv push`")
    say(f"Creating ECR repository {name} (immutable tags, scan on push)")
    return ecr.create_repository(
        repositoryName=name, imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True})["repository"]


def existing_digest(ecr, repository: str, tag: str) -> str | None:
    try:
        found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ImageNotFoundException":
            return None
        raise UserError(f"ECR DescribeImages {repository}:{tag}: {exc}") from None
    details = found.get("imageDetails") or []
    return details[0]["imageDigest"] if details else None


def push_image(client: docker.DockerClient, ecr, image: BuiltImage,
               repository: dict) -> PushedImage:
    name, uri = repository["repositoryName"], repository["repositoryUri"]
    tag = image.content_hash
    digest = existing_digest(ecr, name, tag)
    if digest:
        say(f"{image.spec.name} is already in ECR ({uri}:{tag} = {digest}); not pushed")
        return PushedImage(image.spec.name, uri, tag, digest, pushed=False)
    username, password, registry = registry_login(ecr)
    if not uri.startswith(registry + "/"):
        raise UserError(f"ECR repository URI {uri} is not on the registry {registry} that "
                        "GetAuthorizationToken names")
    say(f"Pushing {image.ref} to {uri}:{tag}")
    started = time.monotonic()
    client.images.get(image.ref).tag(uri, tag)
    try:
        digest = _stream_push(client, uri, tag, {"username": username, "password": password})
    finally:
        client.images.remove(f"{uri}:{tag}", noprune=True)
    _wait_until_listed(ecr, name, tag, digest)
    say(f"Pushed {image.spec.name} in {time.monotonic() - started:.1f}s: {uri}@{digest}")
    return PushedImage(image.spec.name, uri, tag, digest, pushed=True)


def registry_login(ecr) -> tuple[str, str, str]:
    """(username, password, registry host) from ECR's GetAuthorizationToken."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    registry = data["proxyEndpoint"].split("://", 1)[-1].rstrip("/")
    return username, password, registry


def _stream_push(client: docker.DockerClient, uri: str, tag: str, auth: dict) -> str:
    tail, sizes, digest = Tail(), {}, None
    for event in client.api.push(uri, tag, auth_config=auth, stream=True, decode=True):
        if "error" in event:
            show_tail(f"docker push {uri}:{tag}", tail)
            raise UserError(f"docker push {uri}:{tag} failed: {event['error'].strip()}")
        status, layer = event.get("status", ""), event.get("id")
        tail.feed(f"{layer + ': ' if layer else ''}{status}")
        total = (event.get("progressDetail") or {}).get("total")
        if layer and total:
            sizes[layer] = total
        if layer and status in ("Pushed", "Layer already exists", "Mounted from"):
            size = f" ({_megabytes(sizes[layer])})" if layer in sizes else ""
            detail(f"{uri.rsplit('/', 1)[-1]}: layer {layer}: {status.lower()}{size}")
        digest = (event.get("aux") or {}).get("Digest") or digest
    if not digest:
        show_tail(f"docker push {uri}:{tag}", tail)
        raise UserError(f"docker push {uri}:{tag} reported no digest")
    return digest


def _wait_until_listed(ecr, repository: str, tag: str, digest: str) -> None:
    """ECR lists a pushed image at once; the local one a moment later, by registry event."""
    def listed():
        found = existing_digest(ecr, repository, tag)
        if found and found != digest:
            raise UserError(f"ECR lists {repository}:{tag} as {found}, but the push made "
                            f"{digest}")
        return found or NotYet("not listed")
    wait_until(listed, timeout=RECORD_WAIT_SECONDS,
               what=f"ECR DescribeImages to list the push of {repository}:{tag} ({digest})")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"
