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


class Engine:
    class images:
        @staticmethod
        def get(reference):
            if reference == "team/other:1":
                raise ImageNotFound("no such image")
            return type("Image", (), {"id": "sha256:parent"})()


def test_a_parent_counts_by_its_id_or_by_its_name_when_absent():
    assert parent_ids(Engine(), DOCKERFILE) == ["sha256:parent", "team/other:1"]
