"""The images a Dockerfile builds FROM, other than the base image the tool passes in.

An image may be made FROM another one built here (`FROM studio-containers/python-basic:latest`,
as the validation fixtures are, or a team's image on its own base). Its folder does not change
when that parent is rebuilt, so the parent's image id is part of the content hash: otherwise the
old child would be taken as up to date.
"""
from docker.errors import DockerException, ImageNotFound

from . import dockerfile as dockerfile_syntax

BUILT_HERE_LABEL = "studio-containers.image"     # build/images.py labels what it builds


def parent_references(dockerfile: str, args: dict[str, str] | None = None) -> list[str]:
    """FROM images that are neither the BASE_IMAGE argument, nor an earlier stage, nor scratch,
    with build arguments put in. One naming an argument without a value is left out."""
    parsed = dockerfile_syntax.parse(dockerfile)
    base = parsed.args_in_scope(args or {}).get("BASE_IMAGE")
    return [image for _, image, _ in parsed.from_images(args or {})
            if image is not None and image != base]


def parent_ids(client, dockerfile: str, args: dict[str, str] | None = None) -> list[str]:
    """The image id of each parent this tool built (it changes when that image is rebuilt), the
    reference of any other (a registry image: its id would change the hash once it is pulled)."""
    ids = []
    for reference in parent_references(dockerfile, args):
        try:
            image = client.images.get(reference)
        except (ImageNotFound, DockerException):
            ids.append(reference)
            continue
        ids.append(image.id if BUILT_HERE_LABEL in (image.labels or {}) else reference)
    return ids
