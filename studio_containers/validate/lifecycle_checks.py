"""Class 11, lifecycle scripts: each script lifecycle/ offers for the image's app type, run as
Studio runs it when an app starts (runtime/lifecycle.py), in a fresh app of the built image with
an empty home, on the network the app would have, within validate.lifecycle_timeout.

A non-zero exit or the time limit is a failure: Studio would fail the app. A script that takes
more than half the limit passes with a warning (Studio's start adds its own time, and a slower
network or mirror takes the rest), and so does one that writes under the home: there the
user's volume is mounted over the image's home, so what the script writes outlives the app,
piles up over restarts and is shared by the user's apps, while the image never has it.
"""
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import docker

from ..console import detail
from ..errors import UserError
from ..lifecycle_spec import LifecycleSpec, offered_with
from ..ports import free_port
from ..runtime.container import remove
from ..runtime.gateway import gateway_container, start_gateway
from ..runtime.home import prepare_home
from ..runtime.lifecycle import LifecycleRun, run_lifecycle
from ..runtime.network import AppNetwork
from ..runtime.space import space_container, start_space
from ..runtime.start import place
from ..runtime.volume import Runtime
from ..settings import Settings
from ..spec import ImageSpec
from .findings import Finding

CLASS = 11
SHOWN_LINES = 3
IDLE_SECONDS = 1.0      # watched before the script: what the app itself writes in its home
# What shells and env(1) (an interpreter line's) say when a command is not in the image.
MISSING_COMMAND = re.compile(
    r"(?:^|\s)([\w.+-]+): (?:command )?not found$|"
    r"(?:^|/)env: ['\u2018]?([\w.+-]+)['\u2019]?: No such file or directory$")
# What the AWS CLI and SDKs say without credentials.
NO_CREDENTIALS = re.compile(r"Unable to locate credentials|NoCredentialsError|"
                            r"Could not load credentials|"
                            r"credentials? (?:could not be|were not) found|"
                            r"You must specify a region|NoRegionError", re.IGNORECASE)


def lifecycle_findings(client: docker.DockerClient, spec: ImageSpec, image: str,
                       runtime: Runtime | None, settings: Settings) -> list[Finding]:
    findings = []
    for script in offered_with(settings.lifecycle_dir, spec.app_type):
        findings += _check(client, spec, image, runtime, settings, script)
    return findings


def _check(client: docker.DockerClient, spec: ImageSpec, image: str, runtime: Runtime | None,
           settings: Settings, script: LifecycleSpec) -> list[Finding]:
    homes = settings.state_dir / "validate" / "lifecycle-homes"
    homes.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix=f"{spec.name}-{script.name}-", dir=homes))
    home.chmod(0o755)       # as the other validation homes (mkdtemp's is the host user's alone)
    prepare_home(home, spec)
    log = settings.state_dir / "validate" / "lifecycle" / f"{spec.name}-{script.name}.log"
    network = place(client, settings.local_network, space=spec.is_space,
                    access=settings.local_network_access, access_from="local.network_access",
                    credentials=lambda: None).network
    try:
        try:
            container = _start_app(client, spec, image, runtime, home, network, settings)
        except UserError as exc:
            # Never a silent pass: when the image cannot start, its own class says so too.
            return [Finding(CLASS, f"lifecycle script {script.name} could not be run: the app "
                                   f"did not start ({exc})",
                            "make the app start (see its own finding), then validate again")]
        try:
            # What the app writes by itself while idle is its own, not the script's.
            before = snapshot(home)
            time.sleep(IDLE_SECONDS)
            apps_own = set(changed_since(home, before))
            before = snapshot(home)
            run = run_lifecycle(container, script.name, script.script.read_bytes(),
                                f"{spec.uid}:{spec.gid}", spec.mount_path,
                                settings.lifecycle_timeout, log)
            written = [p for p in changed_since(home, before) if p not in apps_own]
        finally:
            remove(container)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    detail(f"{spec.name}: lifecycle script {script.name}: "
           + (f"exit {run.exit_code}" if run.exit_code is not None else "stopped at the limit")
           + f" in {run.seconds:.1f} s (limit {run.timeout:g} s); last line: "
           + f"{run.last_output_line() or '(no output)'}; log: {log}")
    return findings_of(spec, run, written)


def _start_app(client: docker.DockerClient, spec: ImageSpec, image: str, runtime: Runtime | None,
               home: Path, network: AppNetwork, settings: Settings):
    """The app as Studio starts it, on the network it would have (a script often installs)."""
    name = f"studio-containers-validate-{spec.name}-lifecycle-{secrets.token_hex(4)}"
    if spec.is_space:
        sc = space_container(spec, image, home, free_port(), settings.state_dir,
                             settings.aws_region, name=name, network=network)
        return start_space(client, sc, spec, settings.validate_space_ready_timeout,
                           hint="setting validate.space_ready_timeout")[0]
    gc = gateway_container(spec, image, runtime, home, secrets.token_urlsafe(24), free_port(),
                           settings.state_dir, name=name, network=network)
    return start_gateway(client, gc, spec, settings.ready_timeout)


def findings_of(spec: ImageSpec, run: LifecycleRun, written: list[str]) -> list[Finding]:
    setting = "validate.lifecycle_timeout"
    last = " | ".join(line.strip() for line in run.tail(SHOWN_LINES).splitlines() if line.strip())
    shown = f"; its last lines: {last}" if last else "; it printed nothing"
    try_it = f"`./inv local --image {spec.name} --lifecycle {run.name}` runs it as Studio does"
    if run.exit_code is None:
        return [Finding(CLASS, f"lifecycle script {run.name} ran past the time limit of "
                               f"{run.timeout:g} s ({setting}) and was stopped{shown} (log: "
                               f"{run.log})",
                        "Studio fails the app at its limit: install in the Dockerfile instead, "
                        "or start long work in the background (nohup … &) so the script returns")]
    if run.exit_code != 0 and needs_aws_credentials(run):
        return [Finding(CLASS, f"lifecycle script {run.name} exited with code {run.exit_code}: it "
                               f"calls AWS, and validation gives it no credentials{shown} (log: "
                               f"{run.log})",
                        "in Studio it runs with the execution role: try it where it has one "
                        "(`./inv studio` after `./inv up`, or `./inv local` with `./inv "
                        "aws.start`)", warning=True)]
    if run.exit_code != 0:
        tool = missing_command(run)
        fix = (f"the image has no `{tool}`: install it in the Dockerfile, or do without it"
               if tool else f"make it succeed against this image ({try_it})")
        return [Finding(CLASS, f"lifecycle script {run.name} exited with code {run.exit_code} "
                               f"after {run.seconds:.1f} s{shown} (log: {run.log})", fix)]
    findings = []
    if run.seconds > run.timeout / 2:
        findings.append(Finding(
            CLASS, f"lifecycle script {run.name} took {run.seconds:.1f} s, more than half the "
                   f"time limit of {run.timeout:g} s ({setting})",
            "Studio's start adds its own time and its network may be slower: move the slow "
            "part into the Dockerfile, or into the background", warning=True))
    if written:
        examples = ", ".join(written[:3]) + (f" and {len(written) - 3} more"
                                             if len(written) > 3 else "")
        findings.append(Finding(
            CLASS, f"lifecycle script {run.name} writes {len(written)} file(s) under the home "
                   f"{spec.mount_path} ({examples}), where Studio mounts the user's volume: "
                   "they outlive the app, pile up over restarts and are shared by the user's "
                   "apps, and the image never has them",
            "write outside the home (the image's environment, /tmp), or make it idempotent "
            "and leave it so on purpose", warning=True))
    return findings


def needs_aws_credentials(run: LifecycleRun) -> bool:
    return any(NO_CREDENTIALS.search(line) for line in run.tail().splitlines())


def missing_command(run: LifecycleRun) -> str | None:
    """The command the script's output says is missing (exit 127 is the shell's word for it)."""
    for line in reversed(run.tail().splitlines()):
        match = MISSING_COMMAND.search(line.strip())
        if match:
            return match.group(1) or match.group(2)
    return None


def snapshot(home: Path) -> dict[str, tuple[int, int]]:
    """Every file under the home: its path (relative) → (size, modification time)."""
    files = {}
    for folder, _, names in os.walk(home):
        for name in names:
            path = Path(folder, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            files[str(path.relative_to(home))] = (stat.st_size, stat.st_mtime_ns)
    return files


def changed_since(home: Path, before: dict[str, tuple[int, int]]) -> list[str]:
    after = snapshot(home)
    return sorted(path for path, facts in after.items() if before.get(path) != facts)
