"""`invoke local`: one image's kernels behind a Kernel Gateway, reached by a local JupyterLab."""
import os
import secrets
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from .build import build_image
from .console import say, show_tail
from .engine import connect
from .errors import UserError
from .gateway import gateway_container, local_containers, prepare_home, remove, start_gateway
from .jupyterlab import LabOptions, launch_lab, stop_lab, wait_lab
from .ports import ensure_free
from .runtime import ensure_runtime
from .session import LocalSession
from .settings import Settings
from .spec import ImageSpec
from .validate.run import check_or_skip
from .workspace import open_workspace

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
              on_ready=None, skip_validation: bool = False) -> None:
    session = LocalSession(settings.state_dir)
    session.acquire()
    container = lab = None
    try:
        with _stop_on_signals():
            lab_port = ensure_free(lab_port, "--port")
            gateway_port = ensure_free(settings.gateway_port, "local.gateway_port")
            ws = open_workspace(settings)
            built = build_image(ws.client, spec, ws.base, settings.build_network, verbose)
            runtime = ensure_runtime(ws.client, ws.base, settings.build_network, verbose)
            check_or_skip(ws.client, [built], runtime, settings, skip_validation)
            for stale in local_containers(ws.client, settings.state_dir):  # left by a session that was killed
                remove(stale)

            home = prepare_home(settings.home_dir / spec.name, spec)
            gc = gateway_container(spec, built.ref, runtime, home, secrets.token_urlsafe(32), gateway_port,
                                   settings.state_dir, settings.tcp_nodelay)
            say(f"Starting {spec.name} as a KernelGateway app (uid {spec.uid}, gid {spec.gid}, "
                f"home {home} at {spec.mount_path}) and JupyterLab, connected to it")
            started = time.monotonic()
            opts = LabOptions(port=lab_port, token=secrets.token_urlsafe(32), gateway_url=gc.url,
                              gateway_token=gc.environment["KG_AUTH_TOKEN"], root_dir=home,
                              state_dir=session.dir, tcp_nodelay=settings.tcp_nodelay)
            lab = launch_lab(opts)          # boots while the gateway starts
            container = start_gateway(ws.client, gc, spec, settings.ready_timeout)
            wait_lab(lab, opts, settings.ready_timeout)
            url = f"{opts.url}/lab?token={opts.token}"
            session.record(image=spec.name, url=url, container=container.name, lab_pid=lab.pid)
            say(f"Ready in {time.monotonic() - started:.1f}s. Kernels: "
                + ", ".join(f"{k.name} ({k.display_name})" for k in spec.kernels))
            print(f"\n    Open {url}\n\n    Ctrl-C (or `invoke local --stop`) stops it.\n", flush=True)
            if on_ready:
                on_ready(url)
            _watch(container, lab)
    except KeyboardInterrupt:
        say("Stopping")
    finally:
        if lab is not None:
            stop_lab(lab)
        if container is not None:
            remove(container)
        session.release()
        if container is not None:
            say("Stopped: JupyterLab and the gateway container are gone")


def _watch(container, lab) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if lab.poll() is not None:
            raise UserError(f"JupyterLab exited unexpectedly (code {lab.returncode}); see its log "
                            "in .state/local/jupyterlab.log")
        container.reload()
        if container.status != "running":
            show_tail(f"the gateway container {container.name}",
                      container.logs().decode(errors="replace").splitlines())
            raise UserError(f"the gateway container {container.name} stopped unexpectedly "
                            f"(status {container.status})")


def stop_local(settings: Settings) -> bool:
    """Stop a running `invoke local`; sweep anything a killed one left. True when one was running."""
    session = LocalSession(settings.state_dir)
    was_running = session.stop()
    leftover = session.read()  # still there only when the session was killed without cleanup
    _kill_lab(leftover.get("lab_pid"))
    client = connect()
    if client is not None:
        for container in local_containers(client, settings.state_dir):
            remove(container)
    session.info_path.unlink(missing_ok=True)
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
