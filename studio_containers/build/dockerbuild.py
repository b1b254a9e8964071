"""Run one `docker build` through the engine API with compact progress and a tail on failure."""
import re
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from ..console import Tail, detail, show_tail
from ..errors import UserError

STEP_RE = re.compile(r"^Step \d+/\d+ : ")


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
                raise UserError(f"{title}: build failed: {message}{failure_hint}")
    except APIError as exc:
        show_tail(f"the {title} build", tail)
        raise UserError(f"{title}: build failed: {exc.explanation or exc}{failure_hint}") from None
    if image_id is None:
        image_id = client.images.get(tag).id
    return image_id
