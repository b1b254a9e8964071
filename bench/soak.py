"""Soak: many kernel cycles through `invoke local` (JupyterLab → gateway) and many space app cycles
through the local AWS, then a census of what is left, and the gateway's memory growth.

One implementation for both callers: `./inv bench --only soak` runs the full counts (`run()`),
tests/e2e/test_soak.py a short version of the same `kernel_soak` and `space_app_soak`
(tests/unit/test_soak.py checks the parts that need no engine).

- `kernel_cycles`: POST /api/kernels (the image's kernel) → `1+1` over the kernel's websocket
  channels until its execute_result → DELETE, through the local JupyterLab's REST API.
- `space_app_cycles`: CreateApp (JupyterLab, AppName default) → InService → its api/status
  through the app's token front (the presigned URL) → DeleteApp → Deleted.
- A census before and after: containers carrying the state folder's label (OWNER_LABEL), docker
  volumes, the processes under `invoke local` (its lab) or under the local AWS server, the
  processes inside the gateway container, and the kernels the lab and the gateway list. Anything
  new afterwards is a leak, and so is anything of the run still there once it stopped.
- The gateway container's memory, as `docker stats` counts it, after a warm-up and after the
  cycles; its growth must stay under `memory_bound(cycles)`.
"""
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import docker
import psutil
import requests
import websocket

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import Cli, LocalRun
from studio_containers.deploy.push import PushRecord
from studio_containers.errors import UserError
from studio_containers.local.lock import SessionLock
from studio_containers.localaws.control import SERVER_MODULE
from studio_containers.localaws.daemon import Daemon
from studio_containers.ports import free_port
from studio_containers.runtime.container import OWNER_LABEL, owner
from studio_containers.runtime.lab import labs_of
from studio_containers.runtime.volume import VOLUME_LABELS
from studio_containers.spec import load_spec
from studio_containers.studio import APPS, JUPYTER_LAB, AppStatus
from studio_containers.wait import NotYet, wait_until

from .common import Result, bench_cli

KERNEL_CYCLES = 100          # the bench's counts; the test runs fewer of the same
APP_CYCLES = 20
KERNEL_WARM_UP = 5           # untimed cycles before the memory baseline
APP_WARM_UP = 1              # the first app start also resolves and loads the pushed image
KERNEL_IMAGE = "python-basic"
SPACE_IMAGE = "jupyterlab-python"
SETTLE_SECONDS = 30          # what a cycle just ended (a kernel process exiting) may take to go
APP_TIMEOUT = 300            # CreateApp → InService, DeleteApp → Deleted
ROLE = "arn:aws:iam::123456789012:role/soak"
USER, SPACE = "soak-user", "soak"
MIB = 2 ** 20

# The gateway's memory bound: a fixed allowance plus a slope per cycle, 8 MiB + 220 KiB × cycles
# (29.5 MiB for the bench's 100 cycles, 10.1 MiB for the test's 10), measured after a warm-up of
# KERNEL_WARM_UP cycles. One kernel runs at a time, so after the warm-up the gateway's heap has
# reached its working size and, without a leak, stays there. The fixed part absorbs what does
# not scale with the count: allocator fragmentation and garbage-collection timing in the
# gateway's Python (a few MiB either way), and the page cache and kernel objects the container's
# cgroup is charged for that `docker stats` still counts (each kernel's connection file, IPython's
# history database in the home). The slope catches a leak per kernel: a kernel's manager,
# session, five ZMQ channels with their buffers and its websocket relay kept after its shutdown
# are of the order of a few hundred KiB, so keeping them for every kernel exceeds the bound at
# 100 cycles; a leaked kernel process (an ipykernel takes 40-60 MiB) exceeds it on its own. The
# figures are chosen from those sizes, not measured on this machine: the bench prints the
# growth next to the bound, so the first runs show the headroom.
MEMORY_FIXED = 8 * MIB
MEMORY_PER_CYCLE = 220 * 1024


def memory_bound(cycles: int) -> int:
    """Bytes the gateway container may grow by over `cycles` kernel cycles after the warm-up."""
    return MEMORY_FIXED + MEMORY_PER_CYCLE * cycles


class SoakFailed(AssertionError):
    """A cycle did not do what it must (a kernel error, an app that failed): the soak stops."""


# Cycles


def _execute(ws: websocket.WebSocket, code: str) -> str:
    """Runs `code` and returns its execute_result's text/plain, once the kernel is idle again."""
    msg_id, result = uuid.uuid4().hex, None
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "soak", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False},
    }))
    while True:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "execute_result":
            result = msg["content"]["data"].get("text/plain")
        elif msg["msg_type"] == "error":
            raise SoakFailed(f"kernel error: {msg['content']['ename']}: {msg['content']['evalue']}")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            if result is None:
                raise SoakFailed(f"{code!r} ended without an execute_result")
            return result


def kernel_cycles(lab_url: str, token: str, n: int, kernel: str = "python3",
                  timeout: float = 60) -> list[dict[str, float]]:
    """`n` cycles of kernel start → `1+1` → shutdown through the lab's REST API and websocket.
    Seconds per cycle: start (POST), execute (websocket open to the execute_result), shutdown
    (websocket closed, DELETE), total."""
    headers = {"Authorization": f"token {token}"}
    ws_base = lab_url.replace("http://", "ws://", 1)
    cycles = []
    for _ in range(n):
        started = time.perf_counter()
        answer = requests.post(f"{lab_url}/api/kernels", json={"name": kernel}, headers=headers,
                               timeout=timeout)
        if answer.status_code != 201:
            raise SoakFailed(f"POST /api/kernels {kernel}: HTTP {answer.status_code}: "
                             f"{answer.text[:300]}")
        kernel_id = answer.json()["id"]
        running = time.perf_counter()
        try:
            ws = websocket.create_connection(f"{ws_base}/api/kernels/{kernel_id}/channels",
                                             header=[f"Authorization: token {token}"],
                                             timeout=timeout)
            try:
                result = _execute(ws, "1+1")
            finally:
                executed = time.perf_counter()
                ws.close()
        finally:
            gone = requests.delete(f"{lab_url}/api/kernels/{kernel_id}", headers=headers,
                                   timeout=timeout)
        if result != "2":
            raise SoakFailed(f"1+1 gave {result!r}")
        if gone.status_code != 204:
            raise SoakFailed(f"DELETE /api/kernels/{kernel_id}: HTTP {gone.status_code}: "
                             f"{gone.text[:300]}")
        ended = time.perf_counter()
        cycles.append({"start": running - started, "execute": executed - running,
                       "shutdown": ended - executed, "total": ended - started})
    return cycles


def _app_status(sm, app: dict, want: tuple[str, ...], timeout: float) -> dict:
    def settled():
        described = sm.describe_app(**app)
        return described if described["Status"] in want else NotYet(described["Status"])
    owner = app.get("SpaceName") or app.get("UserProfileName")
    return wait_until(settled, timeout=timeout, interval=0.25,
                      what=f"the {app['AppType']} app {app['AppName']} of {owner} to be "
                           f"{' or '.join(want)}")


def space_app_cycles(sagemaker_client, domain_id: str, space: str, n: int, *, user: str,
                     image_arn: str, app_type: str = JUPYTER_LAB, timeout: float = APP_TIMEOUT,
                     leaks: list[str] | None = None) -> list[dict[str, float]]:
    """`n` cycles of CreateApp (AppName default) → InService → the app kind's ready route
    through the app's token front (the presigned URL of `user`) → DeleteApp → Deleted. Seconds
    per cycle: create (to InService), status (URL and ready route), delete (to Deleted), total.
    A front that still answers once its app is Deleted is added to `leaks`."""
    kind = APPS[app_type]
    sm = sagemaker_client
    app = dict(DomainId=domain_id, SpaceName=space, AppType=app_type, AppName=kind.app_name)
    cycles = []
    for _ in range(n):
        started = time.perf_counter()
        sm.create_app(**app, ResourceSpec={"SageMakerImageArn": image_arn})
        try:
            described = _app_status(sm, app, (AppStatus.IN_SERVICE, AppStatus.FAILED), timeout)
            if described["Status"] != AppStatus.IN_SERVICE:
                raise SoakFailed(f"the app failed: {described.get('FailureReason')}")
            serving = time.perf_counter()
            url = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName=user,
                                                 SpaceName=space)["AuthorizedUrl"]
            parts = urlsplit(url)
            token = parse_qs(parts.query)["token"][0]
            base = f"{parts.scheme}://{parts.netloc}"
            ready = base + kind.ready_path(parts.path.removesuffix("/" + kind.url_suffix))
            answer = requests.get(ready, params={"token": token}, timeout=30)
            if answer.status_code != 200:
                raise SoakFailed(f"{ready} through the front: HTTP {answer.status_code}")
            answered = time.perf_counter()
        except BaseException:
            _delete_quietly(sm, app, timeout)
            raise
        sm.delete_app(**app)
        described = _app_status(sm, app, (AppStatus.DELETED, AppStatus.FAILED), timeout)
        if described["Status"] != AppStatus.DELETED:
            raise SoakFailed(f"the delete did not finish: {described.get('FailureReason')}")
        ended = time.perf_counter()
        try:
            requests.get(url, timeout=5)
        except requests.ConnectionError:
            pass
        else:
            if leaks is not None:
                leaks.append(f"the token front of a Deleted app still answers at {base}")
        cycles.append({"create": serving - started, "status": answered - serving,
                       "delete": ended - answered, "total": ended - started})
    return cycles


def _delete_quietly(sm, app: dict, timeout: float) -> None:
    """Best effort after a failed cycle: the app settled, then deleted, errors swallowed (the
    cycle's own error is the one to see)."""
    try:
        status = _app_status(sm, app, (AppStatus.IN_SERVICE, AppStatus.FAILED, AppStatus.DELETED),
                             timeout)["Status"]
        if status != AppStatus.DELETED:
            sm.delete_app(**app)
            _app_status(sm, app, (AppStatus.DELETED, AppStatus.FAILED), timeout)
    except Exception:  # noqa: BLE001
        pass


# Census


def _processes(roots: list[int]) -> dict[int, psutil.Process]:
    """The roots' descendants (not the roots), by pid."""
    found = {}
    for pid in roots:
        try:
            found.update({p.pid: p for p in psutil.Process(pid).children(recursive=True)})
        except psutil.NoSuchProcess:
            pass
    return found


def _describe(process: psutil.Process) -> str:
    try:
        return f"{process.pid} {' '.join(process.cmdline())[:160]}"
    except psutil.ZombieProcess:
        return f"{process.pid} <zombie>"
    except psutil.Error:
        return f"{process.pid} <gone>"


def owned_containers(client: docker.DockerClient, state_dir: Path) -> set[str]:
    """Every container, running or not, labelled with the state folder: `invoke local`'s and the
    apps the local AWS of that folder launched."""
    return {c.name for c in client.containers.list(
        all=True, filters={"label": f"{OWNER_LABEL}={owner(state_dir)}"})}


def volumes(client: docker.DockerClient) -> set[str]:
    """Every docker volume but the gateway runtime's (made once per runtime, kept on purpose)."""
    runtime = {v.name for v in client.volumes.list(
        filters={"label": [f"{k}={v}" for k, v in VOLUME_LABELS.items()]})}
    return {v.name for v in client.volumes.list()} - runtime


def _kernels(where: str, url: str, token: str) -> set[str]:
    answer = requests.get(f"{url}/api/kernels", headers={"Authorization": f"token {token}"},
                          timeout=30)
    answer.raise_for_status()
    return {f"{where}: {k['id']} ({k.get('name')})" for k in answer.json()}


def _container_processes(container) -> set[str]:
    top = container.top()
    pid, cmd = top["Titles"].index("PID"), len(top["Titles"]) - 1
    return {f"{row[pid]} {row[cmd][:160]}" for row in top["Processes"]}


@dataclass(frozen=True)
class Census:
    containers: frozenset[str] = frozenset()
    processes: frozenset[str] = frozenset()             # under the roots (the lab, the server)
    container_processes: frozenset[str] = frozenset()  # inside the gateway container
    kernels: frozenset[str] = frozenset()               # listed by the lab and the gateway


def take_census(client: docker.DockerClient, state_dir: Path, roots: list[int],
                gateway=None, kernel_apis: dict[str, tuple[str, str]] | None = None) -> Census:
    kernels = set()
    for where, (url, token) in (kernel_apis or {}).items():
        kernels |= _kernels(where, url, token)
    return Census(frozenset(owned_containers(client, state_dir)),
                  frozenset(_describe(p) for p in _processes(roots).values()),
                  frozenset(_container_processes(gateway) if gateway is not None else ()),
                  frozenset(kernels))


def leaks(before: Census, after: Census) -> list[str]:
    """What `after` has that `before` had not, one line each; every kernel listed is one."""
    found = [f"container left: {c}" for c in sorted(after.containers - before.containers)]
    found += [f"process left: {p}" for p in sorted(after.processes - before.processes)]
    found += [f"process left in the gateway container: {p}"
              for p in sorted(after.container_processes - before.container_processes)]
    found += [f"kernel left in {k}" for k in sorted(after.kernels)]
    return found


def _settled(take, before: Census) -> Census:
    """The census once what the last cycle ended is gone, or as it is after SETTLE_SECONDS."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        now = take()
        if not leaks(before, now) or time.monotonic() >= deadline:
            return now
        time.sleep(0.5)


def _still_running(processes: dict[int, psutil.Process]) -> list[str]:
    left = []
    for process in processes.values():
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"process left after the stop: {_describe(process)}")
        except psutil.Error:
            pass
    return left


# Memory


@dataclass(frozen=True)
class Memory:
    usage: int          # the cgroup's usage, page cache included
    working_set: int    # what `docker stats` shows: usage less the inactive (reclaimable) file cache


def container_memory(container, samples: int = 3) -> Memory:
    """The container's memory (`container.stats(stream=False)`), the median of a few samples so
    one garbage collection does not decide."""
    taken = []
    for _ in range(samples):
        stats = container.stats(stream=False)["memory_stats"]
        if "usage" not in stats:
            raise SoakFailed(f"the engine reports no memory usage for {container.name} "
                             f"(memory_stats: {stats}); is the memory cgroup controller enabled?")
        inner = stats.get("stats") or {}
        cache = inner.get("inactive_file", inner.get("total_inactive_file", 0))
        taken.append(Memory(stats["usage"], stats["usage"] - cache if cache < stats["usage"]
                            else stats["usage"]))
    return Memory(int(statistics.median(m.usage for m in taken)),
                  int(statistics.median(m.working_set for m in taken)))


def _rss(pid: int | None) -> int | None:
    try:
        return psutil.Process(pid).memory_info().rss if pid else None
    except psutil.Error:
        return None


# Whole soaks, as the bench and the test run them


@dataclass
class Soak:
    what: str
    cycles: list[dict[str, float]] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    memory_before: Memory | None = None          # the gateway container, after the warm-up
    memory_after: Memory | None = None
    bound: int | None = None
    rss: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # info only
    details: list[str] = field(default_factory=list)                            # info only

    @property
    def memory_growth(self) -> int:
        return self.memory_after.working_set - self.memory_before.working_set

    def memory_line(self) -> str:
        return (f"gateway memory (as docker stats counts it) {self.memory_before.working_set / MIB:.1f}"
                f" → {self.memory_after.working_set / MIB:.1f} MiB over {len(self.cycles)} cycles: "
                f"{self.memory_growth / MIB:+.2f} MiB, bound {self.bound / MIB:.1f} MiB (usage with "
                f"page cache {self.memory_before.usage / MIB:.1f} → {self.memory_after.usage / MIB:.1f}"
                " MiB)")


def kernel_soak(env: dict, cycles: int, *, image: str = KERNEL_IMAGE, kernel: str = "python3",
                warm_up: int = KERNEL_WARM_UP, start_timeout: float = 600) -> Soak:
    """`invoke local --image IMAGE` (env: its INVOKE_* settings and own state folder), then
    `warm_up` + `cycles` kernel cycles through its JupyterLab, the census, Ctrl-C, and the census
    of what is left once it stopped."""
    client = docker.from_env()
    state_dir = Path(env["INVOKE_STATE_DIR"])
    soak = Soak(f"{cycles} kernel cycles of {image} through `invoke local`",
                bound=memory_bound(cycles))
    volumes_before = volumes(client)
    run = LocalRun(env, "--image", image, "--port", str(free_port()))
    try:
        _, lab, token = run.wait_for_url(start_timeout)
        record = run.record()
        gateway = client.containers.get(record["container"])
        apis = {"the lab": (lab, token), "the gateway": run.gateway()}
        roots = [run.proc.pid]          # `invoke local`: its lab, and whatever the lab starts

        def take():
            return take_census(client, state_dir, roots, gateway, apis)
        before = take()
        kernel_cycles(lab, token, warm_up, kernel)
        _settled(take, before)          # the last warm-up kernel gone before the baseline
        soak.memory_before, lab_before = container_memory(gateway), _rss(record["lab_pid"])
        soak.cycles = kernel_cycles(lab, token, cycles, kernel)
        after = _settled(take, before)
        soak.memory_after, lab_after = container_memory(gateway), _rss(record["lab_pid"])
        soak.rss["JupyterLab (the lab process)"] = (lab_before, lab_after)
        soak.leaks += leaks(before, after)
        session = _processes(roots)     # the lab is one: `invoke local` started it
        code = run.interrupt()
        if code != 0:
            soak.leaks.append(f"`invoke local` exited with code {code} on Ctrl-C")
    finally:
        run.kill()
    soak.leaks += [f"container left after the stop: {c}" for c in sorted(owned_containers(client, state_dir))]
    soak.leaks += _still_running(session)
    soak.leaks += [f"JupyterLab left after the stop: pid {pid}"
                   for pid in labs_of(SessionLock(state_dir).dir)]
    soak.leaks += [f"volume left after the stop: {v}" for v in sorted(volumes(client) - volumes_before)]
    return soak


def offer_space_image(sm, ec2, image: str, image_uri: str, app_type: str) -> tuple[str, str]:
    """The pushed image registered with boto3 (Image, ImageVersion, AppImageConfig), offered on a
    new domain with user USER and space SPACE: (image ARN, domain id)."""
    arn = sm.create_image(ImageName=image, RoleArn=ROLE)["ImageArn"]
    sm.create_image_version(ImageName=image, BaseImage=image_uri)
    sm.create_app_image_config(AppImageConfigName=image, **{APPS[app_type].config_member: {}})
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    domain = sm.create_domain(DomainName="soak", AuthMode="IAM", SubnetIds=[subnet], VpcId=vpc,
                              DefaultUserSettings={"ExecutionRole": ROLE, APPS[app_type].domain_setting: {
                                  "CustomImages": [{"ImageName": image, "AppImageConfigName": image}]}})
    domain_id = domain["DomainArn"].rsplit("/", 1)[-1]
    sm.create_user_profile(DomainId=domain_id, UserProfileName=USER)
    sm.create_space(DomainId=domain_id, SpaceName=SPACE)
    return arn, domain_id


def _delete_live_apps(sm, domain_id: str) -> None:
    """What a failed soak left: apps outlive the local AWS, so they are deleted before it stops."""
    keys = {tuple((k, found[k]) for k in ("DomainId", "SpaceName", "UserProfileName", "AppType",
                                          "AppName") if k in found)
            for found in sm.list_apps(DomainIdEquals=domain_id, MaxResults=100)["Apps"]
            if found["Status"] != AppStatus.DELETED}
    for key in keys:
        _delete_quietly(sm, dict(key), APP_TIMEOUT)


def space_app_soak(cli: Cli, cycles: int, *, image: str = SPACE_IMAGE,
                   warm_up: int = APP_WARM_UP) -> Soak:
    """`invoke push --image IMAGE` (which starts the local AWS of the cli's state folder), the
    image offered on a domain through boto3, `warm_up` + `cycles` space app cycles, the census,
    `invoke aws.stop`, and the census of what is left once it stopped."""
    client = docker.from_env()
    state_dir = Path(cli.env["INVOKE_STATE_DIR"])
    app_type = load_spec(Path(cli.env.get("INVOKE_IMAGES_DIR") or PROJECT_ROOT / "images") / image).app_type
    soak = Soak(f"{cycles} {app_type} space app cycles of {image} through the local AWS")
    volumes_before = volumes(client)
    server = Daemon("server", state_dir / "aws", SERVER_MODULE)
    registry = Daemon("registry", state_dir / "aws", "docker-registry")
    started: dict[int, psutil.Process] = {}
    sm, domain_id = None, None
    try:
        cli.timed("push", "--image", image, "--create-repository")    # builds it first if needed
        for daemon in (server, registry):
            if daemon.pid():
                started[daemon.pid()] = psutil.Process(daemon.pid())
        image_uri = PushRecord(state_dir).read()["local"][image]["image_uri"]
        endpoint, session = cli.aws_session()
        sm = session.client("sagemaker", endpoint_url=endpoint)
        arn, domain_id = offer_space_image(sm, session.client("ec2", endpoint_url=endpoint), image,
                                           image_uri, app_type)
        server_pid = server.pid()
        if server_pid is None:
            raise SoakFailed(f"no local AWS server runs for {state_dir} after `invoke push`")
        roots = [server_pid]

        def take():
            return take_census(client, state_dir, roots)
        before = take()
        space_app_cycles(sm, domain_id, SPACE, warm_up, user=USER, image_arn=arn,
                         app_type=app_type, leaks=soak.leaks)
        _settled(take, before)
        process = psutil.Process(server_pid)
        server_before = (process.memory_info().rss, process.num_fds(), process.num_threads())
        soak.cycles = space_app_cycles(sm, domain_id, SPACE, cycles, user=USER, image_arn=arn,
                                       app_type=app_type, leaks=soak.leaks)
        after = _settled(take, before)
        server_after = (process.memory_info().rss, process.num_fds(), process.num_threads())
        soak.rss["the local AWS server"] = (server_before[0], server_after[0])
        soak.details.append(f"local AWS server: open files {server_before[1]} → {server_after[1]}, "
                            f"threads {server_before[2]} → {server_after[2]} (not asserted)")
        soak.leaks += leaks(before, after)
        started.update(_processes(roots))
    finally:
        try:
            if domain_id is not None:
                _delete_live_apps(sm, domain_id)
        finally:
            cli("aws.stop", check=False)
    soak.leaks += [f"container left after the stop: {c}" for c in sorted(owned_containers(client, state_dir))]
    soak.leaks += _still_running(started)
    soak.leaks += [f"volume left after the stop: {v}" for v in sorted(volumes(client) - volumes_before)]
    return soak


# The bench


class Count(Result):
    """A row of a count (leaks found) over the cycles of a soak."""

    def __init__(self, name: str, count: int, runs: str, goal: str, ok: bool):
        super().__init__(name, [float(count)], goal, ok, "found")
        self.runs = runs

    def row(self) -> list[str]:
        cells = super().row()
        cells[1], cells[4] = f"{int(self.samples[0])} {self.unit}", self.runs
        return cells


def _phase_rows(soak: Soak, label: str, phases: dict[str, str], unit: str) -> list[Result]:
    scale = 1000 if unit == "ms" else 1
    rows = [Result(label, [c["total"] for c in soak.cycles], "-", None)]
    rows += [Result(f"  of which: {text}", [c[phase] * scale for c in soak.cycles], "-", None, unit)
             for phase, text in phases.items()]
    return rows


def _rss_rows(soak: Soak) -> list[Result]:
    return [Result(f"  {what}: RSS growth over the cycles", [(after - before) / MIB], "-", None, "MiB")
            for what, (before, after) in soak.rss.items() if before is not None and after is not None]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        root = Path(tmp)
        cli = bench_cli(root, local_home_dir=root / "home", aws_repository_prefix="soak")
        cli.env["INVOKE_IMAGES_DIR"] = str(PROJECT_ROOT / "images")
        try:
            kernels = kernel_soak(cli.env, KERNEL_CYCLES)
            apps = space_app_soak(cli, APP_CYCLES)
        except (AssertionError, UserError) as exc:     # SoakFailed, CliFailed, a wait's time-out
            raise SystemExit(f"soak failed: {exc}") from None
    for soak in (kernels, apps):
        for line in soak.leaks:
            print(f"    leak ({soak.what}): {line}")
        for line in soak.details:
            print(f"    {line}")
    print(f"    {kernels.memory_line()}")
    found = len(kernels.leaks) + len(apps.leaks)
    return [
        *_phase_rows(kernels, "soak: kernel start → `1+1` → shutdown, via JupyterLab → gateway",
                     dict(start="start (POST /api/kernels)",
                          execute="websocket, `1+1` → execute_result",
                          shutdown="shutdown (DELETE)"), "ms"),
        Result(f"  gateway memory growth, {KERNEL_CYCLES} cycles after {KERNEL_WARM_UP} warm-up",
               [kernels.memory_growth / MIB], f"≤ {kernels.bound / MIB:.1f} MiB",
               kernels.memory_growth <= kernels.bound, "MiB"),
        *_rss_rows(kernels),
        *_phase_rows(apps, "soak: space app CreateApp → InService → api/status → DeleteApp → Deleted",
                     dict(create="CreateApp → InService", status="api/status via the token front",
                          delete="DeleteApp → Deleted"), "s"),
        *_rss_rows(apps),
        Count("soak: leaked containers, volumes, processes, kernels", found,
              f"{KERNEL_CYCLES}+{APP_CYCLES}", "0", found == 0),
    ]
