"""Starting an app as Studio does: the one path of `invoke local` (local/app.py) and of the
local AWS's CreateApp (localaws/apps/launcher.py), which differ only in what they pass in (the
image, its home, names and labels, the network access asked for, where credentials come from).

- `place`: the app's network (network.py chooses it) and, where that network reaches this
  machine's loopback, the container credentials endpoint's variables;
- the gateway container of a KernelGateway app: gateway.py's `start_gateway`;
- `serve_space`: a space's container behind a token front (front.py), until it serves its
  base path (space.py).
"""
from collections.abc import Callable
from dataclasses import dataclass

import docker
from docker.models.containers import Container

from ..spec import ImageSpec
from .container import remove
from .network import AppNetwork, app_network, offers_aws
from .space import SpaceContainer, start_space


@dataclass(frozen=True)
class Placement:
    network: AppNetwork
    aws: dict[str, str] | None      # the credentials endpoint's variables; None: not offered


def place(client: docker.DockerClient, setting: str, *, space: bool, access: str,
          access_from: str, credentials: Callable[[], dict[str, str] | None],
          chosen: Callable[[AppNetwork], None] = lambda network: None) -> Placement:
    """`setting`: local.network; `access`: the AppNetworkAccessType asked for (`access_from`
    names where, for errors); `chosen(network)` is told the network first; `credentials()` is
    called only when the network reaches this machine's loopback, where the endpoint listens."""
    network = app_network(client, setting, space=space, access=access, access_from=access_from)
    chosen(network)
    return Placement(network, credentials() if offers_aws(network) else None)


@dataclass
class RunningSpace:
    container: Container
    base_path: str              # the one it answered on
    front: "TokenFront"         # noqa: F821 - tornado is imported only when a space starts

    def stop(self) -> None:
        """The container first, then its front (each even if the other fails)."""
        try:
            remove(self.container)
        finally:
            self.front.stop()


def serve_space(client: docker.DockerClient, sc: SpaceContainer, spec: ImageSpec, *,
                front_port: int, front_token: str, timeout: float, hint: str) -> RunningSpace:
    """The front listens first (Studio signs users in before a request reaches the app), so
    the URL works the moment the app answers; nothing is left when the app fails to start."""
    from .front import TokenFront  # tornado's client and server: only spaces need them
    front = TokenFront(front_port, front_token, sc.host_port).start()
    try:
        container, base_path = start_space(client, sc, spec, timeout, hint=hint)
    except BaseException:
        front.stop()
        raise
    return RunningSpace(container, base_path, front)
