"""An `invoke local` session, until Ctrl-C or `invoke local --stop`:
- a KernelGateway image: its kernels behind a Kernel Gateway, reached by a local JupyterLab;
- a space image (JupyterLab, Code Editor): its own app, behind a token front.

JupyterLab is launched first, before Docker's SDK, the build and the validation (local/app.py)
are even imported: its boot is the longest step on the way to a first cell, and it needs only
its ports and the home folder. Studio's Jupyter server, too, is up before its KernelGateway apps.
"""
import secrets
import signal
import subprocess
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..console import say
from ..errors import UserError
from ..ports import HOST, ensure_free, free_port
from ..runtime.home import prepare_home
from ..runtime.lab import LabOptions, labs_of, launch_lab, stop_lab, stop_lab_pid, wait_lab
from ..settings import Settings
from ..spec import ImageSpec
from ..studio import APPS, JUPYTER_SERVER
from .lock import SessionLock

if TYPE_CHECKING:
    from ..lifecycle_spec import LifecycleSpec
    from ..pipeline import Prepared
    from ..runtime.app_credentials import LocalAwsEndpoint


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
              skip_validation: bool = False, local_aws: "LocalAwsEndpoint | None" = None,
              lifecycle: "LifecycleSpec | None" = None) -> None:
    """`local_aws`: where the app's kernels get AWS credentials from (the task passes the
    local AWS's; None: no AWS is offered to the app). `lifecycle`: the script to run in the
    app as it starts, before it counts as ready."""
    lock = SessionLock(settings.state_dir)
    lock.acquire()
    started = time.monotonic()
    started_anything = False
    try:
        # Two stacks, the lab's closed first: JupyterLab shuts its kernels down through the
        # gateway, so the app's container (and what serves it) goes after it.
        with _stop_on_signals(), ExitStack() as cleanup, ExitStack() as lab_cleanup:
            # Holding the lock, no session of ours runs: whatever one left (killed with SIGKILL,
            # it cleaned nothing) goes before the ports are checked, since it may hold them.
            _sweep_labs(lock)
            port = ensure_free(port, "--port")
            home = prepare_home(settings.home_dir / spec.name, spec)
            if not spec.is_space:
                # local.gateway_port is checked after the containers' sweep below (a killed
                # session's container may hold it); 0 takes a port found free now.
                gateway_port = settings.gateway_port or free_port(avoid=(port,))
                lab, opts = _launch_lab(settings, port, gateway_port, home, lock)
                lab_cleanup.callback(stop_lab, lab)
            from . import app  # only now: see the docstring
            app.sweep_containers(settings)
            if not spec.is_space and settings.gateway_port:
                ensure_free(gateway_port, "local.gateway_port")
            prepared = app.build_and_check(settings, spec, verbose, skip_validation)
            started_anything = True
            if spec.is_space:
                _run_space(settings, spec, prepared, home, port, started, lock, cleanup,
                           local_aws, lifecycle)
            else:
                _run_kernel_gateway(settings, spec, prepared, home, lab, opts, gateway_port, started,
                                    lock, cleanup, local_aws, lifecycle)
    except KeyboardInterrupt:
        say("Stopping")
    finally:
        lock.release()
        if started_anything:
            say("Stopped: nothing of this session is left running")


def _run_kernel_gateway(settings: Settings, spec: ImageSpec, prepared: "Prepared", home: Path,
                        lab: subprocess.Popen, opts: LabOptions, gateway_port: int, started: float,
                        lock: SessionLock, cleanup: ExitStack,
                        local_aws: "LocalAwsEndpoint | None",
                        lifecycle: "LifecycleSpec | None") -> None:
    from . import app
    say(f"Starting {spec.name} as a KernelGateway app (uid {spec.uid}, gid {spec.gid}, "
        f"home {home} at {spec.mount_path}) and JupyterLab, connected to it")
    container = app.start_kernel_gateway(settings, spec, prepared, home, opts.gateway_token,
                                         gateway_port, cleanup, local_aws)
    app.run_start_lifecycle(settings, spec, container, lifecycle)
    wait_lab(lab, opts, settings.ready_timeout)
    url = f"{opts.url}{APPS[JUPYTER_SERVER].url_path()}?token={opts.token}"
    lock.record(image=spec.name, url=url, container=container.name, lab_pid=lab.pid)
    _ready(started, url, "Kernels: " + ", ".join(f"{k.name} ({k.display_name})" for k in spec.kernels))
    app.watch(container, lambda: _lab_exited(lab, opts.log_path))


def _run_space(settings: Settings, spec: ImageSpec, prepared: "Prepared", home: Path, port: int,
               started: float, lock: SessionLock, cleanup: ExitStack,
               local_aws: "LocalAwsEndpoint | None", lifecycle: "LifecycleSpec | None") -> None:
    from . import app
    say(f"Starting {spec.name} as a {spec.app_type} space (uid {spec.uid}, gid {spec.gid}, "
        f"home {home} at {spec.mount_path}) behind a token front on {HOST}:{port}")
    container, base_path, url = app.start_space_app(settings, spec, prepared, home, port,
                                                    secrets.token_urlsafe(32), cleanup, local_aws)
    app.run_start_lifecycle(settings, spec, container, lifecycle)
    lock.record(image=spec.name, url=url, container=container.name)
    _ready(started, url, f"{spec.app_type} at {base_path}")
    app.watch(container, lambda: None)


def _launch_lab(settings: Settings, port: int, gateway_port: int, home: Path,
                lock: SessionLock) -> tuple[subprocess.Popen, LabOptions]:
    """JupyterLab, booting; it will reach the gateway at `gateway_port`, with a token made here
    for the gateway container."""
    opts = LabOptions(port=port, token=secrets.token_urlsafe(32),
                      gateway_url=f"http://{HOST}:{gateway_port}",
                      gateway_token=secrets.token_urlsafe(32), root_dir=home, state_dir=lock.dir,
                      tcp_nodelay=settings.tcp_nodelay)
    return launch_lab(opts), opts


def _ready(started: float, url: str, what: str) -> None:
    say(f"Ready in {time.monotonic() - started:.1f}s. {what}")
    print(f"\n    Open {url}\n\n    Ctrl-C (or `invoke local --stop`) stops it.\n", flush=True)


def _lab_exited(lab, lab_log: Path) -> None:
    if lab.poll() is not None:
        raise UserError(f"JupyterLab exited unexpectedly (code {lab.returncode}); see its log "
                        f"in {lab_log}")


def stop_local(settings: Settings) -> bool:
    """Stop a running `invoke local`; sweep anything a killed one left. True when one was running."""
    lock = SessionLock(settings.state_dir)
    was_running = lock.stop()
    swept = _sweep_labs(lock)
    from . import app
    swept = app.sweep_containers(settings) or swept
    lock.info_path.unlink(missing_ok=True)
    return was_running or swept


def _sweep_labs(lock: SessionLock) -> bool:
    """Stops the labs a session of this state folder left, found by their mark (the lab's
    environment), not by a record a killed session may not have written. True when there were."""
    labs = labs_of(lock.dir)
    for pid in labs:
        say(f"Stopping a JupyterLab a killed `invoke local` left (pid {pid})")
        stop_lab_pid(pid, lock.dir)
    return bool(labs)
