"""The local loop: `invoke local` to a first cell, the execute round trip (direct, through the
gateway, through JupyterLab → gateway) with Nagle's delay and without, and a cached rebuild."""
import statistics
import tempfile
import time
from pathlib import Path

import requests
from jupyter_client.manager import start_new_kernel

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import LocalRun
from studio_containers.runtime.kernel_client import KernelSession
from studio_containers.studio import APPS, CODE_EDITOR, JUPYTER_LAB
from studio_containers.wait import wait_until

from .common import Result, bench_cli

# The shipped space images, by app type: each is ready when its kind's ready route answers.
SPACE_IMAGES = {"jupyterlab-python": JUPYTER_LAB, "code-editor": CODE_EDITOR}
ROUND_TRIPS = 100
STARTS = 5          # a median of 5: this VM's speed moves 20-40 % between runs


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


def _warm_up(cli, image: str) -> None:
    """One untimed start: a fresh checkout compiles its modules and fills the lab's folders once."""
    local = LocalRun(cli.env, "--image", image)
    try:
        local.wait_for_url(600)
    finally:
        local.interrupt()


def _space_start(cli, image: str) -> float:
    """Seconds from `invoke local --image IMAGE` to its ready route answering through the front."""
    local = LocalRun(cli.env, "--image", image)
    try:
        url, front, token = local.wait_for_url(600)
        kind = APPS[SPACE_IMAGES[image]]
        ready = kind.ready_path(url.split("?")[0].removesuffix("/" + kind.url_suffix))
        wait_until(lambda: requests.get(ready, params={"token": token}, timeout=2).status_code == 200,
                   timeout=60, interval=0.05, what=f"{ready} through the token front",
                   retry_on=(requests.RequestException,))
        return time.monotonic() - local.started
    finally:
        local.interrupt()


def run() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        cli = bench_cli(Path(tmp))
        cli.env["INVOKE_IMAGES_DIR"] = str(PROJECT_ROOT / "images")
        cli.timed("validate", "--image", "python-basic")     # build and validate once, untimed
        rebuilds = [cli.timed("build", "--image", "python-basic")[0] for _ in range(3)]

        _warm_up(cli, "python-basic")
        starts = []
        for _ in range(STARTS):
            local = LocalRun(cli.env, "--image", "python-basic")
            _, url, token = local.wait_for_url(600)
            execute_started = time.monotonic()
            with KernelSession(url, token, "python3") as session:
                session.run("1+1")
                # the result is in: the kernel's shutdown on leaving is not part of the row
                starts.append(time.monotonic() - local.started)
                first_cell = time.monotonic() - execute_started
            local.interrupt()

        space_starts = {}
        for image in SPACE_IMAGES:     # built and validated, as for the kernels row
            cli.timed("validate", "--image", image)
            _warm_up(cli, image)
            space_starts[image] = [_space_start(cli, image) for _ in range(STARTS)]

        trips = {}
        for nodelay in (False, True):
            local = LocalRun(dict(cli.env, INVOKE_LOCAL_TCP_NODELAY=str(nodelay).lower()),
                             "--image", "python-basic")
            _, *lab = local.wait_for_url(600)
            trips[("gateway", nodelay)] = _through(*local.gateway())
            trips[("lab", nodelay)] = _through(*lab)
            local.interrupt()
        direct = _direct()
    base = statistics.median(direct)
    results.append(Result("`invoke local` (image built) → first cell result", starts, "≤ 1.5 s",
                          statistics.median(starts) <= 1.5))
    results.append(Result("  of which: start kernel and run the first cell", [first_cell], "-",
                          None))
    for image, label, goal in (("jupyterlab-python", "a JupyterLab space (built) → api/status", 2),
                               ("code-editor", "a Code Editor space (built) → healthz", 3)):
        results.append(Result(f"`invoke local` of {label} via the token front",
                              space_starts[image], f"≤ {goal} s",
                              statistics.median(space_starts[image]) <= goal))
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
