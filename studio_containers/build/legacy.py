"""A build through the engine API's legacy builder, the fallback where no BuildKit is found."""
import re

import docker
import requests
from docker.errors import APIError, ImageNotFound, StreamParseError
from urllib3.exceptions import ProtocolError

from ..console import Tail, detail, show_tail
from ..errors import UserError, first_line
from .outcome import BuildOutcome, engine_gone, engine_stopped

STEP_RE = re.compile(r"^Step \d+/\d+ : ")
CACHE_RE = re.compile(r"^ ---> Using cache$")
STEP_FAILED_RE = re.compile(r"returned a non-zero code")    # the Dockerfile's own failure


def legacy_build(client: docker.DockerClient, request, verbose: bool = False) -> BuildOutcome:
    """Build `request` (dockerbuild.BuildRequest); print each step (every line when verbose)."""
    tail = Tail()
    image_id, steps, cached = None, 0, 0
    title, tag = request.title, request.tag
    try:
        stream = client.api.build(path=str(request.context), tag=tag,
                                  buildargs=dict(request.buildargs), labels=dict(request.labels),
                                  network_mode=request.network, platform=request.platform,
                                  rm=True, forcerm=True, decode=True)
        for chunk in stream:
            if "stream" in chunk:
                text = chunk["stream"]
                tail.feed(text)
                for line in text.splitlines():
                    if STEP_RE.match(line):
                        steps += 1
                    cached += bool(CACHE_RE.match(line))
                    if verbose or STEP_RE.match(line):
                        detail(line.strip())
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
            if "error" in chunk:
                tail.feed(chunk["error"])
                show_tail(f"the {title} build", tail)
                message = chunk["error"].strip().splitlines()[-1]
                if not STEP_FAILED_RE.search(message) and engine_gone(client):
                    # A stopping engine fails its running step with an error of its own making.
                    raise engine_stopped(title, tag, message)
                raise UserError(f"{title}: build failed: {message}{request.failure_hint}")
        if image_id is None:
            image_id = client.images.get(tag).id
    except ImageNotFound:
        # The build's stream ended with neither an image nor an error: the engine went away.
        show_tail(f"the {title} build", tail)
        raise UserError(f"{title}: the build ended without an image (the Docker engine stopped "
                        f"or restarted under it?); {tag} was not tagged. Rerun") from None
    except APIError as exc:
        show_tail(f"the {title} build", tail)
        raise UserError(f"{title}: build failed: {exc.explanation or exc}"
                        f"{request.failure_hint}") from None
    except (requests.exceptions.RequestException, ProtocolError, StreamParseError) as exc:
        # The engine stopped (or restarted) under the build: it tags only a finished build.
        show_tail(f"the {title} build", tail)
        raise engine_stopped(title, tag, first_line(exc)) from None
    # Every step but FROM says whether it came from the cache.
    return BuildOutcome(image_id, steps=max(steps - 1, 0), cached=cached)
