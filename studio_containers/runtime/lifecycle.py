"""A lifecycle script run as Studio runs it when an app starts: inside the app's container, as
the app's user, in its home, with the app's environment and network (a `docker exec` into the
running app). Its output goes to a log file, in CloudWatch's place; a non-zero exit, or the time
limit (Studio's is about 5 minutes), fails the start, with the script's last lines.

The script is written by the exec itself into the container's /tmp (not the home, which is the
user's volume), as the app's user, and run with its own interpreter line, or `sh` without one.
(The engine's archive copy cannot write into an app container that has its own network
namespace attached, so the script travels as an argument: at most 12288 bytes, far below the
argument limit.)
"""
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docker.models.containers import Container

from ..files import write_private
from ..processes import kill_tree

SCRIPT_DIR = "/tmp"
TAIL_LINES = 15
# $1: the script's text, $2: where it goes. One stream, so the log keeps the order of its lines;
# a script without an interpreter line runs with sh.
WRITE_AND_RUN = ('exec 2>&1; printf "%s" "$1" > "$2" && chmod 700 "$2" && '
                 'if head -c 2 "$2" | grep -q "^#!"; then exec "$2"; else exec sh "$2"; fi')


@dataclass(frozen=True)
class LifecycleRun:
    name: str
    exit_code: int | None       # None: stopped at the time limit
    seconds: float
    timeout: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def tail(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def failure(self) -> str:
        """Why the start failed, in one line (the last lines are in the log)."""
        if self.exit_code is None:
            return (f"lifecycle script {self.name} ran past the time limit of "
                    f"{self.timeout:g} s and was stopped")
        return f"lifecycle script {self.name} exited with code {self.exit_code}"


def run_lifecycle(container: Container, name: str, script: bytes, user: str, home: str,
                  timeout: float, log: Path) -> LifecycleRun:
    """Runs `script` in the running `container` as `user` ("uid:gid") in `home`; waits for it
    at most `timeout` seconds."""
    path = f"{SCRIPT_DIR}/.studio-lifecycle-{name}.sh"
    command = ["/bin/sh", "-c", WRITE_AND_RUN, "lifecycle", script.decode("utf-8"), path]
    api = container.client.api
    exec_id = api.exec_create(container.id, command, user=user, workdir=home)["Id"]
    output = api.exec_start(exec_id, stream=True)
    write_private(log, "")
    started = time.monotonic()
    reader = threading.Thread(target=_copy, args=(output, log), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        pid = api.exec_inspect(exec_id).get("Pid")
        if pid:
            kill_tree(pid)
        reader.join(10)
        with log.open("a") as handle:
            handle.write(f"\n[stopped after {timeout:g} s: the lifecycle time limit]\n")
        return LifecycleRun(name, None, time.monotonic() - started, timeout, log)
    code = api.exec_inspect(exec_id).get("ExitCode")
    return LifecycleRun(name, code, time.monotonic() - started, timeout, log)


def _copy(chunks, log: Path) -> None:
    with log.open("ab") as handle:
        for chunk in chunks:
            handle.write(chunk)
            handle.flush()
