"""The images a Dockerfile builds FROM count in its content hash, but not the base argument,
earlier stages or scratch."""
from docker.errors import ImageNotFound

from studio_containers.build.parents import parent_ids, parent_references

DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE} AS builder
RUN true
from --platform=linux/amd64 studio-containers/python-basic:latest as Runtime
FROM builder
FROM runtime
FROM scratch
FROM team/other:1
"""


def test_only_images_from_elsewhere_are_parents():
    assert parent_references(DOCKERFILE) == ["studio-containers/python-basic:latest", "team/other:1"]


def engine(images: dict):
    class Images:
        @staticmethod
        def get(reference):
            if reference not in images:
                raise ImageNotFound("no such image")
            return images[reference]
    return type("Engine", (), {"images": Images})()


def image(id_, labels):
    return type("Image", (), {"id": id_, "labels": labels})()


def test_a_parent_built_here_counts_by_its_id_any_other_by_its_name():
    built_here = image("sha256:parent", {"studio-containers.image": "python-basic"})
    pulled = image("sha256:pulled", {})
    assert parent_ids(engine({"studio-containers/python-basic:latest": built_here}), DOCKERFILE) \
        == ["sha256:parent", "team/other:1"]
    # pulled or not, a registry image counts by its name: the hash does not change once pulled
    assert parent_ids(engine({"studio-containers/python-basic:latest": built_here,
                              "team/other:1": pulled}), DOCKERFILE)[1] == "team/other:1"
