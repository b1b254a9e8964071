"""What every builder reports: the image it made, or how the engine failed under it."""
from dataclasses import dataclass

import docker
import requests

from ..errors import UserError
from ..wait import became

GONE_WAIT = 2.0     # an engine stopping fails the running step a moment before its API closes


@dataclass(frozen=True)
class BuildOutcome:
    image_id: str
    steps: int          # the Dockerfile's steps the build went through (FROM aside)
    cached: int         # how many of them came from the cache

    def summary(self) -> str:
        return f"{self.steps} step(s), {self.cached} from cache"


def engine_gone(client: docker.DockerClient, wait: float | None = None) -> bool:
    """Whether the engine's API stops answering within `wait` (GONE_WAIT) seconds."""
    def gone() -> bool:
        try:
            client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return True
        return False
    return became(gone, timeout=GONE_WAIT if wait is None else wait, interval=0.1)


def engine_stopped(title: str, tag: str, seen: str) -> UserError:
    return UserError(f"{title}: the Docker engine stopped during the build ({seen}); {tag} was "
                     "not tagged. Start the engine again (any ./inv task starts one it manages) "
                     "and rerun")
