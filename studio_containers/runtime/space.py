"""A space's app container (JupyterLab, Code Editor), run the way Studio runs it.

Studio injects nothing into a space image: it starts the image's own ENTRYPOINT/CMD (or the
AppImageConfig's ContainerConfig) as uid 1000, gid 100, with the space's volume at
/home/sagemaker-user and its own variables set, and waits for the app on port 8888 at the app's
base path. `space_container` describes exactly that; `start_space` runs it and waits.
"""
from dataclasses import dataclass
from pathlib import Path

import docker
import requests
from docker.models.containers import Container

from ..console import show_tail
from ..errors import UserError
from ..spec import ImageSpec
from ..studio import APP_PORT, APPS, SPACE_HOME
from ..wait import NotYet, WaitTimeout, wait_until
from .container import (
    AppContainer,
    container_logs,
    containers_of,
    labels_of,
    owner,
    remove,
    run_app_container,
)
from .network import BRIDGE_NETWORK, AppNetwork, placement

ROLE = "local-space"


@dataclass(frozen=True)
class SpaceContainer(AppContainer):
    """The image's own process (or the AppImageConfig's ContainerConfig), as Studio starts it."""
    entrypoint: list[str] | None     # None: the image's own
    command: list[str] | None        # None: the image's own CMD
    base_path: str
    app_type: str

    @property
    def base_paths(self) -> tuple[str, ...]:
        """Every spelling Studio may reach the app at, this container's first."""
        return tuple(dict.fromkeys((self.base_path, *APPS[self.app_type].base_paths)))

    def ready_path(self, base_path: str) -> str:
        return APPS[self.app_type].ready_path(base_path)

    def process(self) -> dict:
        return dict(entrypoint=self.entrypoint, command=self.command)


def space_name(spec: ImageSpec) -> str:
    return f"local-{spec.name}"


def studio_environment(spec: ImageSpec, region: str, space: str | None = None) -> dict[str, str]:
    """The variables Studio sets in every space (and so overrides the image's)."""
    return {"SAGEMAKER_APP_TYPE": spec.app_type,
            "SAGEMAKER_APP_TYPE_LOWERCASE": spec.app_type.lower(),
            "SAGEMAKER_SPACE_NAME": space or space_name(spec),
            "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def space_container(spec: ImageSpec, image: str, home: Path, host_port: int, state_dir: Path,
                    region: str, name: str | None = None, space: str | None = None,
                    labels: dict[str, str] | None = None, network: AppNetwork = BRIDGE_NETWORK,
                    aws: dict[str, str] | None = None) -> SpaceContainer:
    """`name`, `space` (its SAGEMAKER_SPACE_NAME) and `labels` (merged over ours) for callers
    other than `invoke local`; `network` and `aws` as for gateway_container."""
    config = spec.container_config
    name = name or f"studio-containers-space-{spec.name}-{owner(state_dir)}"
    options, aws_inside, nat = placement(network, name, APP_PORT, host_port, aws)
    environment = dict(config.environment) if config else {}
    environment.update(studio_environment(spec, region, space))
    environment.update(aws_inside)
    return SpaceContainer(
        image=image,
        name=name,
        entrypoint=list(config.entrypoint) if config and config.entrypoint else None,
        command=list(config.arguments) if config and config.arguments else None,
        user=f"{spec.uid}:{spec.gid}",
        environment=environment,
        volumes={str(home): {"bind": SPACE_HOME, "mode": "rw"}},
        host_port=host_port,
        base_path=spec.base_path,
        app_type=spec.app_type,
        labels=labels_of(ROLE, state_dir, spec.name, labels),
        network_options=options,
        nat=nat,
    )


def start_space(client: docker.DockerClient, sc: SpaceContainer, spec: ImageSpec,
                timeout: float, hint: str = "setting local.ready_timeout") -> tuple[Container, str]:
    """The running container and the base path it answered on."""
    container = run_app_container(client, sc, f"the space container for {spec.name}")
    try:
        return container, wait_serving(container, sc, spec, timeout, hint)
    except BaseException:
        remove(container)
        raise


def wait_serving(container: Container, sc: SpaceContainer, spec: ImageSpec, timeout: float,
                 hint: str) -> str:
    """Until the app answers at its base path without a token, as Studio's health check asks;
    the base path it answered on."""
    # While the app boots, one spelling can fail and the next succeed within one round (seen with
    # code-server), so another spelling counts only after it answered two rounds running and the
    # container's own path still did not.
    answered_before: set[str] = set()

    def serving():
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs.get("State", {}).get("ExitCode")
            show_tail(f"the space container for {spec.name}", container_logs(container))
            raise UserError(f"{spec.name}: the app's process exited with code {code} before it "
                            f"served {sc.base_path} on port {APP_PORT}; a space's entrypoint "
                            "must keep running (its last lines are above)")
        seen, answered = [], set()
        for base_path in sc.base_paths:
            path = sc.ready_path(base_path)
            answer = requests.get(sc.origin + path, timeout=2, allow_redirects=False)
            if answer.status_code in (401, 403) or _to_login(answer):
                raise UserError(f"{spec.name}: {path} answered {answer.status_code}"
                                f"{_where(answer)}: the app demands a token or password, which "
                                f"Studio does not send; turn it off ({APPS[spec.app_type].auth_off})")
            if answer.status_code < 400:
                if base_path == sc.base_path:
                    return base_path
                answered.add(base_path)
            else:
                seen.append(f"HTTP {answer.status_code} at {path}")
        settled = [p for p in sc.base_paths if p in answered and p in answered_before]
        if settled:
            return settled[0]
        answered_before.clear()
        answered_before.update(answered)
        if answered:
            seen.append("answered at " + ", ".join(sorted(answered)) + ", waiting to see it hold")
        if requests.get(sc.origin + "/", timeout=2, allow_redirects=False).status_code < 400:
            seen.append("but / answers: the app serves the root, not Studio's base path")
        return NotYet(", ".join(seen))
    try:
        return wait_until(serving, timeout=timeout, what=f"{spec.name} to serve {sc.base_path} on "
                          f"port {APP_PORT}", hint=hint, retry_on=(requests.RequestException,))
    except WaitTimeout:
        show_tail(f"the space container for {spec.name}", container_logs(container))
        raise


def _to_login(answer: requests.Response) -> bool:
    # code-server with a password, Jupyter with one: a redirect to their login page.
    location = answer.headers.get("Location", "") if answer.is_redirect else ""
    return "login" in location.split("?", 1)[0].rsplit("/", 1)[-1]


def _where(answer: requests.Response) -> str:
    return f" (to {answer.headers['Location']})" if answer.is_redirect else ""


def space_containers(client: docker.DockerClient, state_dir: Path) -> list[Container]:
    return containers_of(client, ROLE, state_dir)
