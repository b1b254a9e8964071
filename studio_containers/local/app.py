"""The app of an `invoke local` session: its image built and checked, then its container (a
KernelGateway app, or a space behind a token front) on the network and with the AWS access
runtime/network.py chooses, until it stops.

local/session.py imports this module only once JupyterLab is launched (see its docstring)."""
import time
from contextlib import ExitStack
from pathlib import Path

from docker.models.containers import Container

from ..build.engine import connect
from ..console import say, show_tail
from ..errors import UserError
from ..pipeline import Checks, Prepared, prepare
from ..ports import HOST, free_port
from ..runtime import user_nat
from ..runtime.gateway import container_logs, gateway_container, local_containers, remove, start_gateway
from ..runtime.network import AppNetwork, app_network, offers_aws
from ..runtime.space import space_container, space_containers, start_space
from ..settings import Settings
from ..spec import ImageSpec
from ..studio import APPS

POLL_SECONDS = 1.0


def build_and_check(settings: Settings, spec: ImageSpec, verbose: bool,
                    skip_validation: bool) -> Prepared:
    """The image built if it changed, and validated unless it passed before unchanged."""
    return prepare(settings, [spec], runtime=not spec.is_space, verbose=verbose,
                   checks=Checks.SKIP if skip_validation else Checks.GATE)


def start_kernel_gateway(settings: Settings, spec: ImageSpec, prepared: Prepared, home: Path,
                         token: str, port: int, cleanup: ExitStack) -> Container:
    """The gateway container, answering on 127.0.0.1:`port` with `token`; removed by `cleanup`."""
    [built] = prepared.built
    network = _network(settings, prepared, spec)
    aws = _aws_for_app(settings, network, cleanup)
    gc = gateway_container(spec, built.ref, prepared.runtime, home, token, port, settings.state_dir,
                           settings.tcp_nodelay, network=network, aws=aws)
    container = start_gateway(prepared.client, gc, spec, settings.ready_timeout)
    cleanup.callback(remove, container)
    return container


def start_space_app(settings: Settings, spec: ImageSpec, prepared: Prepared, home: Path,
                    port: int, token: str, cleanup: ExitStack) -> tuple[Container, str, str]:
    """The space's container behind a token front on 127.0.0.1:`port`, the base path it
    answered on and the URL to open."""
    [built] = prepared.built
    network = _network(settings, prepared, spec)
    sc = space_container(spec, built.ref, home, free_port(), settings.state_dir, settings.aws_region,
                         network=network, aws=_aws_for_app(settings, network, cleanup))
    from .front import TokenFront  # tornado's client and server: only space sessions need them
    front = TokenFront(port, token, sc.host_port).start()
    cleanup.callback(front.stop)
    container, base_path = start_space(prepared.client, sc, spec, settings.ready_timeout)
    cleanup.callback(remove, container)
    url = f"{front.url}{APPS[spec.app_type].url_path(base_path)}?token={front.token}"
    return container, base_path, url


def _network(settings: Settings, prepared: Prepared, spec: ImageSpec) -> AppNetwork:
    network = app_network(prepared.client, settings.local_network, space=spec.is_space,
                          access=settings.local_network_access)
    say(f"Network: {network.why}")
    return network


def _aws_for_app(settings: Settings, network: AppNetwork, cleanup: ExitStack) -> dict[str, str] | None:
    """The container credentials endpoint for the app, on this machine's loopback, which only
    a container on the host's network or under user-mode NAT reaches."""
    if not offers_aws(network):
        say("AWS: not offered to the app on the bridge (the local AWS and the credentials "
            "endpoint are on this machine's loopback)")
        return None
    from ..localaws.app_credentials import (
        LOCAL_EXECUTION_ROLE,
        assume_role_through,
        local_execution_role,
        running_local_aws,
    )
    from ..runtime.credentials_endpoint import CredentialsEndpoint, CredentialsIssuer
    local_aws = running_local_aws(settings)
    endpoint = CredentialsEndpoint(CredentialsIssuer(
        assume_role_through(local_aws), f"http://{HOST}:{settings.aws_port}", settings.aws_region)
    ).start()
    cleanup.callback(endpoint.stop)
    say(f"AWS: the app calls the local AWS as the role {LOCAL_EXECUTION_ROLE}, through a "
        "container credentials endpoint (start the local AWS with `./inv aws.start`)")
    return endpoint.add(local_execution_role(local_aws))


def watch(container: Container, also_check) -> None:
    """Until the container stops (an error showing its last lines) or `also_check` raises."""
    while True:
        time.sleep(POLL_SECONDS)
        also_check()
        container.reload()
        if container.status != "running":
            show_tail(f"the container {container.name}", container_logs(container))
            raise UserError(f"the container {container.name} stopped unexpectedly "
                            f"(status {container.status})")


def sweep_containers(settings: Settings) -> bool:
    """Removes the app containers a killed session of this state folder left, found by their
    labels, before the build (one that mounts an old gateway runtime keeps it from being
    removed); True when there were some."""
    client = connect()
    containers = [] if client is None else \
        local_containers(client, settings.state_dir) + space_containers(client, settings.state_dir)
    for container in containers:
        say(f"Removing the container {container.name} a killed `invoke local` left")
        remove(container)
    user_nat.reap()     # the NAT of a container removed by other means
    return bool(containers)
