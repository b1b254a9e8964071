"""What every app container shares, the gateway's (gateway.py) and a space's (space.py): the one
description `docker run` is given, running it with its user-mode NAT, its logs, its removal, and
the labels that find it again (the state folder that made it, what it is)."""
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container

from ..errors import UserError
from ..ports import HOST
from ..wait import became
from . import user_nat

ROLE_LABEL = "studio-containers.role"
OWNER_LABEL = "studio-containers.state-dir"
IMAGE_LABEL = "studio-containers.image"


def owner(state_dir: Path) -> str:
    """Tags containers with the state folder that made them, so two checkouts never clash."""
    return hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class AppContainer:
    """Everything `docker run` needs for one app; also mapped onto testcontainers in the tests.
    A kind adds its own process (entrypoint, command, working folder) through `process()`."""
    image: str
    name: str
    user: str
    environment: dict[str, str]
    volumes: dict[str, dict[str, str]]
    host_port: int
    labels: dict[str, str] = field(default_factory=dict, kw_only=True)
    network_options: dict = field(default_factory=dict, kw_only=True)    # network.placement's
    nat: user_nat.Attachment | None = field(default=None, kw_only=True)

    @property
    def origin(self) -> str:
        """Where this machine reaches the app (no token)."""
        return f"http://{HOST}:{self.host_port}"

    def process(self) -> dict:
        """`docker run`'s entrypoint, command and working_dir for this kind of app."""
        raise NotImplementedError

    def run_kwargs(self) -> dict:
        where = dict(self.network_options)
        labels = {**self.labels, **where.pop("labels", {})}
        return dict(image=self.image, name=self.name, user=self.user,
                    environment=self.environment, volumes=self.volumes, labels=labels,
                    detach=True, **self.process(), **where)


def labels_of(role: str, state_dir: Path, image_name: str, extra: dict[str, str] | None) -> dict:
    """Ours (what it is, which state folder, which image), `extra` merged over them."""
    return {ROLE_LABEL: role, OWNER_LABEL: owner(state_dir), IMAGE_LABEL: image_name,
            **(extra or {})}


def run_app_container(client: docker.DockerClient, app: AppContainer, what: str) -> Container:
    """Runs an app container and attaches its user-mode NAT, if it has one."""
    remove_stale(client, app.name)
    try:
        container = client.containers.run(**app.run_kwargs())
    except DockerException as exc:
        raise UserError(f"could not start {what}: "
                        f"{getattr(exc, 'explanation', None) or exc}") from None
    if app.nat is not None:
        try:
            try:
                container.reload()      # run() returns what create() saw: no process yet
            except DockerException as exc:
                raise UserError(f"{what} went as it started: {exc}") from None
            pid = container.attrs["State"]["Pid"]
            if pid:     # else it exited already: the wait for it says why
                user_nat.attach(pid, app.nat, container.id)
        except UserError:
            if _exited(container):
                return container    # the wait that follows says why, not the NAT's failure
            remove(container)
            raise
        except BaseException:
            remove(container)
            raise
    return container


def _exited(container: Container, within: float = 1.0) -> bool:
    """Whether the container ended (given a moment: a NAT that failed because its process just
    exited may be told before the engine reports the exit)."""
    def ended() -> bool:
        container.reload()
        return container.status in ("exited", "dead")
    try:
        return became(ended, timeout=within, interval=0.05)
    except DockerException:
        return False


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
    user_nat.detach(container.labels)


def remove_stale(client: docker.DockerClient, name: str) -> None:
    try:
        remove(client.containers.get(name))
    except NotFound:
        pass


def containers_of(client: docker.DockerClient, role: str, state_dir: Path) -> list[Container]:
    """The containers of this role that this state folder made, running or not."""
    labels = [f"{ROLE_LABEL}={role}", f"{OWNER_LABEL}={owner(state_dir)}"]
    return client.containers.list(all=True, filters={"label": labels})
