"""The local loop: `invoke local` to a first cell, the execute round trip (direct, through the
gateway, through JupyterLab → gateway) with Nagle's delay and without, and a cached rebuild."""
import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import docker
from jupyter_client.manager import start_new_kernel

from studio_containers import PROJECT_ROOT
from studio_containers.kernel_client import KernelSession

from .common import Cli, Result

URL = re.compile(r"Open (http://127\.0\.0\.1:\d+)/lab\?token=(\S+)")
ROUND_TRIPS = 100
STARTS = 3


class LocalRun:
    """`invoke local` in the background; stops with SIGINT like Ctrl-C."""

    def __init__(self, cli: Cli, **settings):
        env = dict(cli.env, **{f"INVOKE_{k.upper()}": str(v) for k, v in settings.items()})
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root",
                                      str(PROJECT_ROOT), "local", "--image", "python-basic"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.lines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stdout],
                         daemon=True).start()
        self.state_dir = Path(env["INVOKE_STATE_DIR"])

    def url(self, timeout: float = 600) -> tuple[str, str]:
        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            match = URL.search(line)
            if match:
                return match.group(1), match.group(2)
        raise SystemExit("invoke local printed no URL:\n" + "".join(seen))

    def gateway(self) -> tuple[str, str]:
        session = json.loads((self.state_dir / "local" / "session.json").read_text())
        container = docker.from_env().containers.get(session["container"])
        env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
        port = container.attrs["NetworkSettings"]["Ports"]["8888/tcp"][0]["HostPort"]
        return f"http://127.0.0.1:{port}", env["KG_AUTH_TOKEN"]

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(60)


def _round_trips(run) -> list[float]:
    run("1+1")                           # the first execute warms the kernel up
    samples = []
    for _ in range(ROUND_TRIPS):
        started = time.perf_counter()
        run("1+1")
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _direct() -> list[float]:
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        def run(code):
            client.execute_interactive(code, timeout=30, output_hook=lambda msg: None)
        return _round_trips(run)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _through(url: str, token: str) -> list[float]:
    with KernelSession(url, token, "python3") as session:
        return _round_trips(session.run)


def run() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        cli = Cli(Path(tmp))
        cli.env["INVOKE_IMAGES_DIR"] = str(PROJECT_ROOT / "images")
        cli.timed("validate", "--image", "python-basic")     # build and validate once, untimed
        rebuilds = [cli.timed("build", "--image", "python-basic")[0] for _ in range(3)]

        starts = []
        for _ in range(STARTS):
            local = LocalRun(cli)
            url, token = local.url()
            execute_started = time.monotonic()
            with KernelSession(url, token, "python3") as session:
                session.run("1+1")
            starts.append(time.monotonic() - local.started)
            first_cell = time.monotonic() - execute_started
            local.stop()

        trips = {}
        for nodelay in (False, True):
            local = LocalRun(cli, local_tcp_nodelay=str(nodelay).lower())
            lab = local.url()
            trips[("gateway", nodelay)] = _through(*local.gateway())
            trips[("lab", nodelay)] = _through(*lab)
            local.stop()
        direct = _direct()
    base = statistics.median(direct)
    results.append(Result("`invoke local` (image built) → first cell result", starts, "≤ 3 s",
                          statistics.median(starts) <= 3))
    results.append(Result("  of which: start kernel and run the first cell", [first_cell], "-",
                          None))
    results.append(Result("round trip `1+1`: ipykernel direct (ZMQ)", direct, "-", None, "ms"))
    for where, label in (("gateway", "through the gateway"),
                         ("lab", "JupyterLab → gateway → kernel")):
        before, after = trips[(where, False)], trips[(where, True)]
        results.append(Result(f"round trip {label}, Nagle on (stock)", before,
                              f"{statistics.median(before) / base:.1f}× direct", None, "ms"))
        results.append(Result(f"round trip {label}, TCP_NODELAY (ours)", after, "≤ 2× direct",
                              statistics.median(after) <= 2 * base, "ms"))
    results.append(Result("cached rebuild of an unchanged image", rebuilds, "≤ 2 s",
                          statistics.median(rebuilds) <= 2))
    return results
