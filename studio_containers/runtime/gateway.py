"""The KernelGateway app container, run the way Studio runs it.

Studio overrides the image's ENTRYPOINT/CMD with its own gateway, runs it as the AppImageConfig's
UID/GID and mounts the user's EFS home at the mount path. `gateway_container` describes exactly
that for one image; `start_gateway` runs it and waits until it answers.
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import requests
from docker.models.containers import Container

from ..console import show_tail
from ..errors import UserError
from ..ports import HOST
from ..settings import default
from ..spec import ImageSpec
from ..studio import APP_PORT as GATEWAY_PORT
from ..studio import APPS, KERNEL_GATEWAY
from ..wait import NotYet, WaitTimeout, wait_until
from . import user_nat
from .container import (
    AppContainer,
    container_logs,
    containers_of,
    labels_of,
    owner,
    remove,
    run_app_container,
)
from .network import BRIDGE_NETWORK, HOST_NETWORK, AppNetwork, placement
from .volume import MISSING_KERNELS_EXIT, MOUNT_POINT, Runtime

READY_POLL_SECONDS = 0.025
EXIT_CHECK_SECONDS = 0.5
ROLE = "local-gateway"


@dataclass(frozen=True)
class GatewayContainer(AppContainer):
    """Studio's gateway (our runtime, mounted) in place of the image's own process."""
    entrypoint: list[str]
    working_dir: str

    @property
    def url(self) -> str:
        return self.origin

    def process(self) -> dict:
        return dict(entrypoint=self.entrypoint, command=[], working_dir=self.working_dir)


def gateway_container(spec: ImageSpec, image: str, runtime: Runtime, home: Path, token: str,
                      host_port: int, state_dir: Path, tcp_nodelay: bool | None = None,
                      name: str | None = None, labels: dict[str, str] | None = None,
                      network: AppNetwork = BRIDGE_NETWORK, aws: dict[str, str] | None = None
                      ) -> GatewayContainer:
    """`tcp_nodelay`: None for local.tcp_nodelay's default; `name` and `labels` (merged over
    ours) for callers other than `invoke local`; `network`
    as runtime/network.py chooses it; `aws`: the variables of the container credentials
    endpoint (runtime/credentials_endpoint.py) on this machine's loopback, which the kernels
    see as their network reaches it."""
    kernels = [{"name": k.name, "display_name": k.display_name} for k in spec.kernels]
    name = name or f"studio-containers-local-{spec.name}-{owner(state_dir)}"
    options, aws_inside, nat = placement(network, name, GATEWAY_PORT, host_port, aws)
    # On the host's network there is nothing to publish: the gateway listens on
    # 127.0.0.1:host_port itself.
    listen = ({"SC_GATEWAY_IP": HOST, "SC_GATEWAY_PORT": str(host_port)}
              if network.mode == HOST_NETWORK else {})
    return GatewayContainer(
        image=image,
        name=name,
        user=f"{spec.uid}:{spec.gid}",
        environment={"HOME": spec.mount_path, "KG_AUTH_TOKEN": token, "SC_KERNELS": json.dumps(kernels),
                     "SC_TCP_NODELAY": "1" if _nodelay(tcp_nodelay) else "0", **listen, **aws_inside},
        volumes={runtime.volume: {"bind": MOUNT_POINT, "mode": "ro"},
                 str(home): {"bind": spec.mount_path, "mode": "rw"}},
        host_port=host_port,
        entrypoint=runtime.entrypoint,
        working_dir=spec.mount_path,
        labels=labels_of(ROLE, state_dir, spec.name, labels),
        network_options=options,
        nat=nat,
    )


def _nodelay(given: bool | None) -> bool:
    return default("local.tcp_nodelay") if given is None else given


def gateway_port_of(container: Container) -> int:
    """The host port a running gateway container answers on: its own on the host's network,
    the one slirp4netns publishes under user-mode NAT, the published one on the bridge."""
    if user_nat.PORT_LABEL in container.labels:
        return int(container.labels[user_nat.PORT_LABEL])
    env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"] or [] if "=" in e)
    if env.get("SC_GATEWAY_PORT"):
        return int(env["SC_GATEWAY_PORT"])
    return int(container.attrs["NetworkSettings"]["Ports"][f"{GATEWAY_PORT}/tcp"][0]["HostPort"])


def start_gateway(client: docker.DockerClient, gc: GatewayContainer, spec: ImageSpec,
                  timeout: float) -> Container:
    container = run_app_container(client, gc, f"the gateway container for {spec.name}")
    try:
        wait_ready(container, gc, spec, timeout)
    except BaseException:
        remove(container)
        raise
    return container


def wait_ready(container: Container, gc: GatewayContainer, spec: ImageSpec, timeout: float) -> None:
    headers = {"Authorization": f"token {gc.environment['KG_AUTH_TOKEN']}"}
    engine_asked = time.monotonic()

    def still_running():
        # The engine is asked less often than the port: its inspection costs far more.
        nonlocal engine_asked
        if time.monotonic() - engine_asked >= EXIT_CHECK_SECONDS:
            engine_asked = time.monotonic()
            container.reload()
            if container.status in ("exited", "dead"):
                raise _exit_error(container, spec) from None

    def answers():
        try:
            status = requests.get(gc.url + APPS[KERNEL_GATEWAY].ready_path(), headers=headers, timeout=2).status_code
        except requests.RequestException:
            still_running()     # not listening yet, or gone
            raise
        if status != 200:
            still_running()     # something else answering on its port
        return status == 200 or NotYet(f"HTTP {status}")
    try:
        # A short interval: this wait is on the path to the first cell, and a refused
        # connection is cheap (the engine's inspection is not: see EXIT_CHECK_SECONDS).
        wait_until(answers, timeout=timeout, interval=READY_POLL_SECONDS,
                   what=f"the gateway for {spec.name} to answer at {gc.url}",
                   hint="setting local.ready_timeout", retry_on=(requests.RequestException,))
    except WaitTimeout:
        show_tail(f"the gateway container {gc.name}", container_logs(container))
        raise


def _exit_error(container: Container, spec: ImageSpec) -> UserError:
    code = container.attrs.get("State", {}).get("ExitCode")
    lines = container_logs(container)
    if code == MISSING_KERNELS_EXIT:
        for line in reversed(lines):
            try:
                info = json.loads(line)
            except ValueError:
                continue
            if info.get("error") == "missing_kernels":
                return UserError(
                    f"{spec.spec_file}: kernels: {', '.join(info['missing'])} not found in the image "
                    f"{container.image.tags[0] if container.image.tags else ''}; it has: "
                    f"{', '.join(info['available']) or 'no kernelspecs'} "
                    f"(searched through {info.get('python') or 'no python on PATH'}'s sys.prefix "
                    f"{info.get('prefix')}, as Studio does)")
    show_tail(f"the gateway container for {spec.name}", lines)
    return UserError(f"the gateway container for {spec.name} exited with code {code} before it was ready")


def local_containers(client: docker.DockerClient, state_dir: Path) -> list[Container]:
    return containers_of(client, ROLE, state_dir)
