"""An `invoke local` session, until Ctrl-C or `invoke local --stop`:
- a KernelGateway image: its kernels behind a Kernel Gateway, reached by a local JupyterLab;
- a space image (JupyterLab, Code Editor): its own app, behind a token front."""
import secrets
import signal
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..build.engine import connect
from ..console import say, show_tail
from ..errors import UserError
from ..pipeline import Checks, Prepared, prepare
from ..ports import HOST, ensure_free, free_port
from ..runtime import user_nat
from ..runtime.gateway import (
    container_logs,
    gateway_container,
    local_containers,
    prepare_home,
    remove,
    start_gateway,
)
from ..runtime.network import AppNetwork, app_network, offers_aws
from ..runtime.space import space_container, space_containers, start_space
from ..settings import Settings
from ..spec import ImageSpec
from ..studio import JUPYTER_LAB
from .lab import LabOptions, labs_of, launch_lab, stop_lab, stop_lab_pid, wait_lab
from .lock import SessionLock

POLL_SECONDS = 1.0


@contextmanager
def _stop_on_signals():
    """SIGTERM (`invoke local --stop`) and SIGHUP end the session like Ctrl-C does."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_local(settings: Settings, spec: ImageSpec, port: int, verbose: bool = False,
              skip_validation: bool = False) -> None:
    lock = SessionLock(settings.state_dir)
    lock.acquire()
    started_anything = False
    try:
        with _stop_on_signals(), ExitStack() as cleanup:
            # Holding the lock, no session of ours runs: whatever one left (killed with SIGKILL,
            # it cleaned nothing) goes before the ports are checked, since it may hold them.
            _sweep(settings, lock)
            port = ensure_free(port, "--port")
            gateway_port = (None if spec.is_space
                            else ensure_free(settings.gateway_port, "local.gateway_port"))
            prepared = prepare(settings, [spec], runtime=not spec.is_space, verbose=verbose,
                               checks=Checks.SKIP if skip_validation else Checks.GATE)
            home = prepare_home(settings.home_dir / spec.name, spec)
            started_anything = True
            if spec.is_space:
                _run_space(settings, spec, prepared, home, port, lock, cleanup)
            else:
                _run_kernel_gateway(settings, spec, prepared, home, port, gateway_port, lock, cleanup)
    except KeyboardInterrupt:
        say("Stopping")
    finally:
        lock.release()
        if started_anything:
            say("Stopped: nothing of this session is left running")


def _run_kernel_gateway(settings: Settings, spec: ImageSpec, prepared: Prepared, home: Path,
                        lab_port: int, gateway_port: int, lock: SessionLock,
                        cleanup: ExitStack) -> None:
    [built] = prepared.built
    say(f"Starting {spec.name} as a KernelGateway app (uid {spec.uid}, gid {spec.gid}, "
        f"home {home} at {spec.mount_path}) and JupyterLab, connected to it")
    network = _network(settings, prepared, spec)
    aws = _aws_for_app(settings, network, cleanup)
    gc = gateway_container(spec, built.ref, prepared.runtime, home, secrets.token_urlsafe(32),
                           gateway_port, settings.state_dir, settings.tcp_nodelay,
                           network=network, aws=aws)
    started = time.monotonic()
    opts = LabOptions(port=lab_port, token=secrets.token_urlsafe(32), gateway_url=gc.url,
                      gateway_token=gc.environment["KG_AUTH_TOKEN"], root_dir=home,
                      state_dir=lock.dir, tcp_nodelay=settings.tcp_nodelay)
    lab = launch_lab(opts)          # boots while the gateway starts
    try:
        container = start_gateway(prepared.client, gc, spec, settings.ready_timeout)
    except BaseException:
        stop_lab(lab)
        raise
    cleanup.callback(remove, container)
    cleanup.callback(stop_lab, lab)     # first: JupyterLab shuts its kernels down through the gateway
    wait_lab(lab, opts, settings.ready_timeout)
    url = f"{opts.url}/lab?token={opts.token}"
    lock.record(image=spec.name, url=url, container=container.name, lab_pid=lab.pid)
    _ready(started, url, "Kernels: " + ", ".join(f"{k.name} ({k.display_name})" for k in spec.kernels))
    _watch(container, lambda: _lab_exited(lab, opts.log_path))


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


def _run_space(settings: Settings, spec: ImageSpec, prepared: Prepared, home: Path,
               port: int, lock: SessionLock, cleanup: ExitStack) -> None:
    [built] = prepared.built
    say(f"Starting {spec.name} as a {spec.app_type} space (uid {spec.uid}, gid {spec.gid}, home "
        f"{home} at {spec.mount_path}) behind a token front on 127.0.0.1:{port}")
    network = _network(settings, prepared, spec)
    sc = space_container(spec, built.ref, home, free_port(), settings.state_dir, settings.aws_region,
                         network=network, aws=_aws_for_app(settings, network, cleanup))
    started = time.monotonic()
    from .front import (
        TokenFront,  # tornado's client and server: only space sessions need them
    )
    front = TokenFront(port, secrets.token_urlsafe(32), sc.host_port).start()
    cleanup.callback(front.stop)
    container, base_path = start_space(prepared.client, sc, spec, settings.ready_timeout)
    cleanup.callback(remove, container)
    url = f"{front.url}{base_path}/" + ("lab" if spec.app_type == JUPYTER_LAB else "") + \
        f"?token={front.token}"
    lock.record(image=spec.name, url=url, container=container.name)
    _ready(started, url, f"{spec.app_type} at {base_path}")
    _watch(container, lambda: None)


def _ready(started: float, url: str, what: str) -> None:
    say(f"Ready in {time.monotonic() - started:.1f}s. {what}")
    print(f"\n    Open {url}\n\n    Ctrl-C (or `invoke local --stop`) stops it.\n", flush=True)


def _lab_exited(lab, lab_log: Path) -> None:
    if lab.poll() is not None:
        raise UserError(f"JupyterLab exited unexpectedly (code {lab.returncode}); see its log "
                        f"in {lab_log}")


def _watch(container, also_check) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        also_check()
        container.reload()
        if container.status != "running":
            show_tail(f"the container {container.name}", container_logs(container))
            raise UserError(f"the container {container.name} stopped unexpectedly "
                            f"(status {container.status})")


def stop_local(settings: Settings) -> bool:
    """Stop a running `invoke local`; sweep anything a killed one left. True when one was running."""
    lock = SessionLock(settings.state_dir)
    was_running = lock.stop()
    swept = _sweep(settings, lock)
    lock.info_path.unlink(missing_ok=True)
    return was_running or swept


def _sweep(settings: Settings, lock: SessionLock) -> bool:
    """Stops the labs and removes the containers a session of this state folder left, found by
    their marks (the lab's environment, the containers' labels), not by a record a killed session
    may not have written. True when there was something."""
    labs = labs_of(lock.dir)
    for pid in labs:
        say(f"Stopping a JupyterLab a killed `invoke local` left (pid {pid})")
        stop_lab_pid(pid, lock.dir)
    client = connect()
    containers = [] if client is None else \
        local_containers(client, settings.state_dir) + space_containers(client, settings.state_dir)
    for container in containers:
        say(f"Removing the container {container.name} a killed `invoke local` left")
        remove(container)
    user_nat.reap()     # the NAT of a container removed by other means
    return bool(labs or containers)
