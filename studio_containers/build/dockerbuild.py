"""Run one `docker build` through the engine API with compact progress and a tail on failure."""
import re
import time
from pathlib import Path

import docker
import requests
from docker.errors import APIError, ImageNotFound, StreamParseError
from urllib3.exceptions import ProtocolError

from ..console import Tail, detail, show_tail
from ..errors import UserError, first_line

STEP_RE = re.compile(r"^Step \d+/\d+ : ")
STEP_FAILED_RE = re.compile(r"returned a non-zero code")    # the Dockerfile's own failure
GONE_WAIT = 2.0     # an engine stopping fails the running step a moment before its API closes


def image_exists(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
        return True
    except ImageNotFound:
        return False


def run_build(client: docker.DockerClient, context: Path, tag: str, *, title: str,
              buildargs: dict | None = None, labels: dict | None = None,
              network: str | None = None, verbose: bool = False, failure_hint: str = "") -> str:
    """Build `context` as `tag`; print each step (every line when verbose); return the image id."""
    tail = Tail()
    image_id = None
    try:
        stream = client.api.build(path=str(context), tag=tag, buildargs=buildargs or {},
                                  labels=labels or {}, network_mode=network, rm=True,
                                  forcerm=True, decode=True)
        for chunk in stream:
            if "stream" in chunk:
                text = chunk["stream"]
                tail.feed(text)
                for line in text.splitlines():
                    if verbose or STEP_RE.match(line):
                        detail(line.strip())
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
            if "error" in chunk:
                tail.feed(chunk["error"])
                show_tail(f"the {title} build", tail)
                message = chunk["error"].strip().splitlines()[-1]
                if not STEP_FAILED_RE.search(message) and _engine_gone(client):
                    # A stopping engine fails its running step with an error of its own making.
                    raise _engine_stopped(title, tag, message)
                raise UserError(f"{title}: build failed: {message}{failure_hint}")
        if image_id is None:
            image_id = client.images.get(tag).id
    except ImageNotFound:
        # The build's stream ended with neither an image nor an error: the engine went away.
        show_tail(f"the {title} build", tail)
        raise UserError(f"{title}: the build ended without an image (the Docker engine stopped "
                        f"or restarted under it?); {tag} was not tagged. Rerun") from None
    except APIError as exc:
        show_tail(f"the {title} build", tail)
        raise UserError(f"{title}: build failed: {exc.explanation or exc}{failure_hint}") from None
    except (requests.exceptions.RequestException, ProtocolError, StreamParseError) as exc:
        # The engine stopped (or restarted) under the build: it tags only a finished build.
        show_tail(f"the {title} build", tail)
        raise _engine_stopped(title, tag, first_line(exc)) from None
    return image_id


def _engine_gone(client: docker.DockerClient) -> bool:
    deadline = time.monotonic() + GONE_WAIT
    while time.monotonic() < deadline:
        try:
            client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return True
        time.sleep(0.1)
    return False


def _engine_stopped(title: str, tag: str, seen: str) -> UserError:
    return UserError(f"{title}: the Docker engine stopped during the build ({seen}); {tag} was "
                     "not tagged. Start the engine again (any ./inv task starts one it manages) "
                     "and rerun")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
