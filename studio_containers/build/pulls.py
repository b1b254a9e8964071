"""Images a build starts FROM: present in the engine, or pulled before the build, through a
registry mirror where one is set.

Pulling ahead of the builder lets a registry that cannot be reached be told in one line that
names the image, instead of the builder's resolver error, and lets a mirror of Docker Hub stand
in for it: the mirror's copy is tagged under the name the Dockerfile uses, which both builders
take from the engine without asking a registry.
"""
import time

import docker
from docker.errors import DockerException, ImageNotFound

from ..console import say
from ..errors import first_line

DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")


class PullFailed(Exception):
    """The image is not in the engine and no registry gave it; the message says why."""


def image_exists(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
        return True
    except ImageNotFound:
        return False


def docker_hub_path(ref: str) -> str | None:
    """`library/python:3.11` for `python:3.11` or `docker.io/python:3.11`; None for an image of
    another registry."""
    first, sep, rest = ref.partition("/")
    if sep and first in DOCKER_HUB:
        ref = rest
        first, sep, rest = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return None
    return ref if sep else f"library/{ref}"


def split_tag(ref: str) -> tuple[str, str]:
    name, _, tag = ref.rpartition(":")
    return (name, tag) if name and "/" not in tag else (ref, "latest")


def mirrored(ref: str, mirror: str) -> str | None:
    path = docker_hub_path(ref)
    return f"{mirror.rstrip('/')}/{path}" if path else None


def ensure_image(client: docker.DockerClient, ref: str, mirror: str | None = None,
                 announce: bool = True) -> bool:
    """Make `ref` present in the engine; True if it had to be pulled. Raises PullFailed.
    `announce`: say so before each pull (not for one tried on every run, like the base)."""
    try:
        if image_exists(client, ref):
            return False
    except DockerException as exc:      # not a reference at all (FROM Python:3.11)
        raise PullFailed(f"{ref}: {first_line(getattr(exc, 'explanation', None) or exc, 160)}") from None
    reasons = []
    # An image named by digest keeps its registry's name: a mirror's copy could not stand in.
    via_mirror = mirrored(ref, mirror) if mirror and "@" not in ref else None
    candidates = ([via_mirror] if via_mirror else []) + [ref]
    for source in candidates:
        started = time.monotonic()
        if announce:
            say(f"Pulling {source}" + (f" (registry mirror for {ref})" if source != ref else ""))
        try:
            image = client.images.pull(source)
        except DockerException as exc:
            reasons.append(f"{source}: {first_line(getattr(exc, 'explanation', None) or exc, 160)}")
            continue
        if source != ref:
            repository, tag = split_tag(ref)
            image.tag(repository, tag)
        say(f"Pulled {source} in {time.monotonic() - started:.1f}s")
        return True
    raise PullFailed("; ".join(reasons))
