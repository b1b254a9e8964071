"""An `invoke local` session: one image's kernels behind a Kernel Gateway, reached by a local
JupyterLab, until Ctrl-C or `invoke local --stop`."""
import os
import secrets
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from ..build.engine import connect
from ..console import say, show_tail
from ..errors import UserError
from ..pipeline import Checks, prepare
from ..ports import ensure_free
from ..runtime.gateway import gateway_container, local_containers, prepare_home, remove, start_gateway
from ..settings import Settings
from ..spec import ImageSpec
from .lab import LabOptions, launch_lab, stop_lab, wait_lab
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


def run_local(settings: Settings, spec: ImageSpec, lab_port: int, verbose: bool = False,
              skip_validation: bool = False) -> None:
    lock = SessionLock(settings.state_dir)
    lock.acquire()
    container = lab = None
    try:
        with _stop_on_signals():
            lab_port = ensure_free(lab_port, "--port")
            gateway_port = ensure_free(settings.gateway_port, "local.gateway_port")
            prepared = prepare(settings, [spec], runtime=True, verbose=verbose,
                               checks=Checks.SKIP if skip_validation else Checks.GATE)
            client, [built] = prepared.client, prepared.built
            for stale in local_containers(client, settings.state_dir):  # left by a killed session
                remove(stale)

            home = prepare_home(settings.home_dir / spec.name, spec)
            gc = gateway_container(spec, built.ref, prepared.runtime, home, secrets.token_urlsafe(32),
                                   gateway_port, settings.state_dir, settings.tcp_nodelay)
            say(f"Starting {spec.name} as a KernelGateway app (uid {spec.uid}, gid {spec.gid}, "
                f"home {home} at {spec.mount_path}) and JupyterLab, connected to it")
            started = time.monotonic()
            opts = LabOptions(port=lab_port, token=secrets.token_urlsafe(32), gateway_url=gc.url,
                              gateway_token=gc.environment["KG_AUTH_TOKEN"], root_dir=home,
                              state_dir=lock.dir, tcp_nodelay=settings.tcp_nodelay)
            lab = launch_lab(opts)          # boots while the gateway starts
            container = start_gateway(client, gc, spec, settings.ready_timeout)
            wait_lab(lab, opts, settings.ready_timeout)
            url = f"{opts.url}/lab?token={opts.token}"
            lock.record(image=spec.name, url=url, container=container.name, lab_pid=lab.pid)
            say(f"Ready in {time.monotonic() - started:.1f}s. Kernels: "
                + ", ".join(f"{k.name} ({k.display_name})" for k in spec.kernels))
            print(f"\n    Open {url}\n\n    Ctrl-C (or `invoke local --stop`) stops it.\n", flush=True)
            _watch(container, lab, opts.log_path)
    except KeyboardInterrupt:
        say("Stopping")
    finally:
        if lab is not None:
            stop_lab(lab)
        if container is not None:
            remove(container)
        lock.release()
        if container is not None:
            say("Stopped: JupyterLab and the gateway container are gone")


def _watch(container, lab, lab_log: Path) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if lab.poll() is not None:
            raise UserError(f"JupyterLab exited unexpectedly (code {lab.returncode}); see its log "
                            f"in {lab_log}")
        container.reload()
        if container.status != "running":
            show_tail(f"the gateway container {container.name}",
                      container.logs().decode(errors="replace").splitlines())
            raise UserError(f"the gateway container {container.name} stopped unexpectedly "
                            f"(status {container.status})")


def stop_local(settings: Settings) -> bool:
    """Stop a running `invoke local`; sweep anything a killed one left. True when one was running."""
    lock = SessionLock(settings.state_dir)
    was_running = lock.stop()
    leftover = lock.read()  # still there only when the session was killed without cleanup
    _kill_lab(leftover.get("lab_pid"))
    client = connect()
    if client is not None:
        for container in local_containers(client, settings.state_dir):
            remove(container)
    lock.info_path.unlink(missing_ok=True)
    return was_running


def _kill_lab(pid) -> None:
    if not pid:
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"jupyterlab" in cmdline:  # never signal a pid that was reused by something else
        os.kill(pid, signal.SIGTERM)
