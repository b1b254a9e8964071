"""The images a Dockerfile builds FROM, other than the base image the tool passes in.

An image may be made FROM another one built here (`FROM studio-containers/python-basic:latest`,
as the validation fixtures are, or a team's image on its own base). Its folder does not change
when that parent is rebuilt, so the parent's image id is part of the content hash: otherwise the
old child would be taken as up to date.
"""
import re

from docker.errors import DockerException, ImageNotFound

BUILT_HERE_LABEL = "studio-containers.image"     # build/images.py labels what it builds

FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?\s*$",
                  re.IGNORECASE | re.MULTILINE)


def parent_references(dockerfile: str) -> list[str]:
    """FROM images that are neither the BASE_IMAGE argument, nor an earlier stage, nor scratch.
    A reference that uses any other build argument cannot be resolved here and is left out."""
    stages, found = set(), []
    for match in FROM.finditer(dockerfile):
        image = match["image"]
        if "$" not in image and image.lower() != "scratch" and image.lower() not in stages:
            found.append(image)
        if match["stage"]:
            stages.add(match["stage"].lower())
    return found


def parent_ids(client, dockerfile: str) -> list[str]:
    """The image id of each parent this tool built (it changes when that image is rebuilt), the
    reference of any other (a registry image: its id would change the hash once it is pulled)."""
    ids = []
    for reference in parent_references(dockerfile):
        try:
            image = client.images.get(reference)
        except (ImageNotFound, DockerException):
            ids.append(reference)
            continue
        ids.append(image.id if BUILT_HERE_LABEL in (image.labels or {}) else reference)
    return ids
