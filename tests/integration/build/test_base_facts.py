"""What a Dockerfile written for python:3.11-slim-bookworm may rely on, checked against the base
made from Debian packages (and the base builds get, with the extra CAs), and against the official
image itself wherever it can be pulled. The list is the contract of debian_base.py."""
import json

import docker
import pytest

from studio_containers.build.debian_base import IMAGE as DEBIAN_BASE
from studio_containers.build.debian_base import OFFICIAL_PATH
from studio_containers.build.pulls import PullFailed, ensure_image
from tests.private_index import MESSAGE, SCRIPT, wheel

OFFICIAL = "python:3.11-slim-bookworm"
WHEELS = "/wheels"

# (fact, shell command run as the image's own user, what it must print)
FACTS = [
    ("python, python3, pip and pip3 are on PATH",
     "for c in python python3 pip pip3; do command -v $c >/dev/null && echo $c; done",
     "python\npython3\npip\npip3"),
    ("python is Python 3.11", "python -c 'import sys; print(*sys.version_info[:2])'", "3 11"),
    ("PYTHON_VERSION names it", "case $PYTHON_VERSION in 3.11.*) echo yes;; esac", "yes"),
    ("LANG is C.UTF-8", "echo $LANG", "C.UTF-8"),
    ("PATH is the official image's", "echo $PATH", OFFICIAL_PATH),
    ("root, with /root as home", "echo $(id -u) $HOME", "0 /root"),
    ("no PEP 668 marker: pip may install into the system Python",
     "python -c 'import os, sysconfig; print(os.path.exists(os.path.join("
     "sysconfig.get_path(\"stdlib\"), \"EXTERNALLY-MANAGED\")))'", "False"),
    ("pip install into the system Python works, its scripts on PATH",
     f"pip install -q --no-index --no-deps --disable-pip-version-check {WHEELS}/*.whl "
     f"2>/dev/null && {SCRIPT} && python -c 'import studio_containers_private_demo'", MESSAGE),
    ("venv works", "python -m venv /tmp/v && /tmp/v/bin/python -m pip --version >/dev/null && echo ok",
     "ok"),
    ("the system CA bundle is there", "test -s /etc/ssl/certs/ca-certificates.crt && echo ok", "ok"),
    ("an apt-get that reinstalls Python's standard library leaves pip allowed",
     "apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --reinstall libpython3.11-stdlib "
     ">/dev/null 2>&1 && python -c 'import os, sysconfig; print(os.path.exists(os.path.join("
     "sysconfig.get_path(\"stdlib\"), \"EXTERNALLY-MANAGED\")))'", "False"),
    ("apt-get installs packages",
     "apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends jq "
     ">/dev/null 2>&1 && jq -n 1", "1"),
]


@pytest.fixture(scope="module")
def bases(workspace) -> list[str]:
    """The Debian-made base and the base builds are given; the official image where it can be
    pulled (here it cannot: the list then checks the stand-in alone)."""
    found = [workspace.base.ref]
    try:
        workspace.client.images.get(DEBIAN_BASE)
        found.append(DEBIAN_BASE)
    except docker.errors.ImageNotFound:
        pass
    try:
        ensure_image(workspace.client, OFFICIAL, workspace.settings.registry_mirror, announce=False)
        found.append(OFFICIAL)
    except PullFailed:
        pass
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheels")
    name, data = wheel()
    (folder / name).write_bytes(data)
    folder.chmod(0o755)
    return folder


def test_a_dockerfile_for_python_slim_finds_what_it_relies_on(workspace, bases, wheels):
    wrong = []
    for base in bases:
        config = workspace.client.images.get(base).attrs["Config"]
        if config.get("Cmd") != ["python3"]:
            wrong.append(f"{base}: CMD is {json.dumps(config.get('Cmd'))}, not [\"python3\"]")
        for fact, command, expected in FACTS:
            out = workspace.client.containers.run(
                base, ["sh", "-c", command], remove=True, network_mode="host",
                volumes={str(wheels): {"bind": WHEELS, "mode": "ro"}}).decode().strip()
            if out != expected:
                wrong.append(f"{base}: {fact}: printed {out!r}, expected {expected!r}")
    assert wrong == [], "\n".join(wrong)
    assert DEBIAN_BASE in bases or OFFICIAL in bases, bases
