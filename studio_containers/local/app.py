"""The app of an `invoke local` session: its image built and checked, then its container (a
KernelGateway app, or a space behind a token front) started through runtime/start.py, the
path the local AWS's CreateApp takes too, until it stops. The local AWS is reached only through
the `local_aws` endpoint the task passes in: this package does not import the local AWS.

local/session.py imports this module only once JupyterLab is launched (see its docstring)."""
import time
from contextlib import ExitStack
from pathlib import Path

from docker.models.containers import Container

from ..build.engine import connect
from ..console import say, show_tail
from ..errors import UserError
from ..lifecycle_spec import LifecycleSpec
from ..pipeline import Checks, Prepared, prepare
from ..ports import HOST, free_port
from ..runtime import user_nat
from ..runtime.app_credentials import LocalAwsEndpoint
from ..runtime.container import container_logs, remove
from ..runtime.gateway import gateway_container, local_containers, start_gateway
from ..runtime.space import space_container, space_containers
from ..runtime.start import Placement, place, serve_space
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
                         token: str, port: int, cleanup: ExitStack,
                         local_aws: LocalAwsEndpoint | None) -> Container:
    """The gateway container, answering on 127.0.0.1:`port` with `token`; removed by `cleanup`."""
    [built] = prepared.built
    placed = _place(settings, prepared, spec, local_aws, cleanup)
    gc = gateway_container(spec, built.ref, prepared.runtime, home, token, port, settings.state_dir,
                           settings.tcp_nodelay, network=placed.network, aws=placed.aws)
    container = start_gateway(prepared.client, gc, spec, settings.ready_timeout)
    cleanup.callback(remove, container)
    return container


def start_space_app(settings: Settings, spec: ImageSpec, prepared: Prepared, home: Path,
                    port: int, token: str, cleanup: ExitStack,
                    local_aws: LocalAwsEndpoint | None) -> tuple[Container, str, str]:
    """The space's container behind a token front on 127.0.0.1:`port`, the base path it
    answered on and the URL to open."""
    [built] = prepared.built
    placed = _place(settings, prepared, spec, local_aws, cleanup)
    sc = space_container(spec, built.ref, home, free_port(avoid=(port,)), settings.state_dir,
                         settings.aws_region, network=placed.network, aws=placed.aws)
    space = serve_space(prepared.client, sc, spec, front_port=port, front_token=token,
                        timeout=settings.ready_timeout, hint="setting local.ready_timeout")
    cleanup.callback(space.stop)
    url = f"{space.front.url}{APPS[spec.app_type].url_path(space.base_path)}?token={token}"
    return space.container, space.base_path, url


def run_start_lifecycle(settings: Settings, spec: ImageSpec, container: Container,
                        lifecycle: LifecycleSpec | None) -> None:
    """The lifecycle script, run in the started app as Studio runs it; a failure fails the
    start (the session then removes the app), with the script's last lines."""
    if lifecycle is None:
        return
    from ..runtime.lifecycle import run_lifecycle
    log = settings.state_dir / "lifecycle" / f"{spec.name}-{lifecycle.name}.log"
    say(f"Lifecycle: running {lifecycle.name} in the app as {spec.uid}:{spec.gid} (time limit "
        f"{settings.lifecycle_timeout:g} s, validate.lifecycle_timeout); log: {log}")
    run = run_lifecycle(container, lifecycle.name, lifecycle.script.read_bytes(),
                        f"{spec.uid}:{spec.gid}", spec.mount_path, settings.lifecycle_timeout,
                        log)
    if not run.ok:
        show_tail(f"lifecycle script {lifecycle.name}", run.tail().splitlines())
        raise UserError(f"{spec.name}: {run.failure()}, so the app's start fails, as in Studio "
                        f"(its last lines are above; log: {log})")
    say(f"Lifecycle: {lifecycle.name} finished in {run.seconds:.1f}s")


def _place(settings: Settings, prepared: Prepared, spec: ImageSpec,
           local_aws: LocalAwsEndpoint | None, cleanup: ExitStack) -> Placement:
    placed = place(prepared.client, settings.local_network, space=spec.is_space,
                   access=settings.local_network_access, access_from="local.network_access",
                   credentials=lambda: _credentials(settings, local_aws, cleanup),
                   chosen=lambda network: say(f"Network: {network.why}"))
    if placed.aws is None and local_aws is not None:
        say("AWS: not offered to the app on the bridge (the local AWS and the credentials "
            "endpoint are on this machine's loopback)")
    return placed


def _credentials(settings: Settings, local_aws: LocalAwsEndpoint | None,
                 cleanup: ExitStack) -> dict[str, str] | None:
    """A container credentials endpoint on this machine's loopback, issuing the local AWS's
    credentials for LOCAL_EXECUTION_ROLE (`invoke local` has no domain or profile)."""
    if local_aws is None:
        say("AWS: not offered to the app (no local AWS was given to this session)")
        return None
    from ..runtime.app_credentials import (
        LOCAL_EXECUTION_ROLE,
        assume_role_through,
        local_execution_role,
    )
    from ..runtime.credentials_endpoint import CredentialsEndpoint, CredentialsIssuer
    endpoint = CredentialsEndpoint(CredentialsIssuer(
        assume_role_through(local_aws), f"http://{HOST}:{settings.aws_port}", settings.aws_region)
    ).start()
    cleanup.callback(endpoint.stop)
    say(f"AWS: the app calls the local AWS as the role {LOCAL_EXECUTION_ROLE}, through a "
        "container credentials endpoint (start the local AWS with `./inv aws.start`)")
    return endpoint.add(local_execution_role(local_aws))


def watch(container: Container, also_check) -> None:
    """Until the container stops (an error showing its last lines) or `also_check` raises."""
    while True:     # a watch for the session's life, not a wait: it has no deadline
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
