"""The KernelGateway app container, run the way Studio runs it.

Studio overrides the image's ENTRYPOINT/CMD with its own gateway, runs it as the AppImageConfig's
UID/GID and mounts the user's EFS home at the mount path. `gateway_container` describes exactly
that for one image; `start_gateway` runs it and waits until it answers.
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests
from docker.errors import DockerException, NotFound
from docker.models.containers import Container

from ..console import show_tail
from ..errors import UserError
from ..ports import HOST
from ..spec import ImageSpec
from ..studio import APP_PORT as GATEWAY_PORT
from ..wait import NotYet, WaitTimeout, wait_until
from .network import BRIDGE, HOST_NETWORK
from .volume import MISSING_KERNELS_EXIT, MOUNT_POINT, Runtime

ROLE_LABEL = "studio-containers.role"
ROLE = "local-gateway"
OWNER_LABEL = "studio-containers.state-dir"


def owner(state_dir: Path) -> str:
    """Tags containers with the state folder that made them, so two checkouts never clash."""
    return hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class GatewayContainer:
    """Everything `docker run` needs; also mapped onto testcontainers in the tests."""
    image: str
    name: str
    entrypoint: list[str]
    user: str
    environment: dict[str, str]
    volumes: dict[str, dict[str, str]]
    host_port: int
    working_dir: str
    labels: dict[str, str] = field(default_factory=dict)
    network: str = BRIDGE

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.host_port}"

    def run_kwargs(self) -> dict:
        # On the host's network there is nothing to publish: the gateway listens on
        # 127.0.0.1:host_port itself (SC_GATEWAY_IP/PORT).
        where = ({"network_mode": HOST_NETWORK} if self.network == HOST_NETWORK
                 else {"ports": {f"{GATEWAY_PORT}/tcp": (HOST, self.host_port)}})
        return dict(image=self.image, name=self.name, entrypoint=self.entrypoint, command=[],
                    user=self.user, environment=self.environment, volumes=self.volumes,
                    working_dir=self.working_dir, labels=self.labels, detach=True, **where)


def gateway_container(spec: ImageSpec, image: str, runtime: Runtime, home: Path, token: str,
                      host_port: int, state_dir: Path, tcp_nodelay: bool = True,
                      name: str | None = None, labels: dict[str, str] | None = None,
                      network: str = BRIDGE, aws: dict[str, str] | None = None
                      ) -> GatewayContainer:
    """`name` and `labels` (merged over ours) for callers other than `invoke local`; `network`
    as runtime/network.py chooses it; `aws`: the variables of the container credentials
    endpoint (runtime/credentials_endpoint.py), which the kernels see."""
    kernels = [{"name": k.name, "display_name": k.display_name} for k in spec.kernels]
    listen = ({"SC_GATEWAY_IP": HOST, "SC_GATEWAY_PORT": str(host_port)}
              if network == HOST_NETWORK else {})
    return GatewayContainer(
        image=image,
        name=name or f"studio-containers-local-{spec.name}-{owner(state_dir)}",
        entrypoint=runtime.entrypoint,
        user=f"{spec.uid}:{spec.gid}",
        environment={"HOME": spec.mount_path, "KG_AUTH_TOKEN": token, "SC_KERNELS": json.dumps(kernels),
                     "SC_TCP_NODELAY": "1" if tcp_nodelay else "0", **listen, **(aws or {})},
        volumes={runtime.volume: {"bind": MOUNT_POINT, "mode": "ro"},
                 str(home): {"bind": spec.mount_path, "mode": "rw"}},
        host_port=host_port,
        working_dir=spec.mount_path,
        labels={ROLE_LABEL: ROLE, OWNER_LABEL: owner(state_dir), "studio-containers.image": spec.name,
                **(labels or {})},
        network=network,
    )


def gateway_port_of(container: Container) -> int:
    """The host port a running gateway container answers on: its own on the host's network,
    the published one on the bridge."""
    env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"] or [] if "=" in e)
    if env.get("SC_GATEWAY_PORT"):
        return int(env["SC_GATEWAY_PORT"])
    return int(container.attrs["NetworkSettings"]["Ports"][f"{GATEWAY_PORT}/tcp"][0]["HostPort"])


def prepare_home(home: Path, spec: ImageSpec) -> Path:
    """The host folder that plays the EFS home; owned by the image's user so its kernels can write."""
    home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(home, spec.uid, spec.gid)
    return home


def start_gateway(client: docker.DockerClient, gc: GatewayContainer, spec: ImageSpec,
                  timeout: float) -> Container:
    remove_stale(client, gc.name)
    try:
        container = client.containers.run(**gc.run_kwargs())
    except DockerException as exc:
        raise UserError(f"could not start the gateway container for {spec.name}: "
                        f"{getattr(exc, 'explanation', None) or exc}") from None
    try:
        wait_ready(container, gc, spec, timeout)
    except BaseException:
        remove(container)
        raise
    return container


def wait_ready(container: Container, gc: GatewayContainer, spec: ImageSpec, timeout: float) -> None:
    headers = {"Authorization": f"token {gc.environment['KG_AUTH_TOKEN']}"}

    def answers():
        container.reload()
        if container.status in ("exited", "dead"):
            raise _exit_error(container, spec)
        status = requests.get(f"{gc.url}/api/kernelspecs", headers=headers, timeout=2).status_code
        return status == 200 or NotYet(f"HTTP {status}")
    try:
        # A short interval: this wait is on the path to the first cell, and a probe is cheap.
        wait_until(answers, timeout=timeout, interval=0.05,
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


def container_logs(container: Container) -> list[str]:
    try:
        return container.logs().decode(errors="replace").splitlines()
    except DockerException:
        return []


def remove(container: Container) -> None:
    try:
        container.remove(force=True)
    except NotFound:
        pass


def remove_stale(client: docker.DockerClient, name: str) -> None:
    try:
        remove(client.containers.get(name))
    except NotFound:
        pass


def local_containers(client: docker.DockerClient, state_dir: Path) -> list[Container]:
    labels = [f"{ROLE_LABEL}={ROLE}", f"{OWNER_LABEL}={owner(state_dir)}"]
    return client.containers.list(all=True, filters={"label": labels})
