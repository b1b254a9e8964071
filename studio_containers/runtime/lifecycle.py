"""A lifecycle script run as Studio runs it when an app starts: inside the app's container, as
the app's user, in its home, with the app's environment and network (a `docker exec` into the
running app). Its output goes to a log file, in CloudWatch's place; a non-zero exit, or the time
limit (Studio's is about 5 minutes), fails the start, with the script's last lines.

The script is written by the exec itself into the container's /tmp (not the home, which is the
user's volume), as the app's user, and run with its own interpreter line, or `sh` without one.
(The engine's archive copy cannot write into an app container that has its own network
namespace attached, so the script travels as an argument: at most 12288 bytes, far below the
argument limit.)

At the time limit, every process of the run is killed from inside the container, as root: an
exec starts a session of its own, which the script's children keep, even those that detach, so
its processes are those of that session. Host process ids are never signalled: the engine may
be another machine's, or in another pid namespace. The caller removes the app after a failure
in any case.
"""
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docker.models.containers import Container
from docker.utils.socket import frames_iter

from ..errors import UserError
from ..files import write_private

SCRIPT_DIR = "/tmp"
TAIL_LINES = 15
# $1: the script's text, $2: where it goes. One stream, so the log keeps the order of its lines;
# its session (this shell's pid, kept by the exec) noted for KILL_RUN; a script without an
# interpreter line runs with sh.
WRITE_AND_RUN = ('exec 2>&1; echo $$ > "$2.session"; printf "%s" "$1" > "$2" && chmod 700 "$2" '
                 '&& if head -c 2 "$2" | grep -q "^#!"; then exec "$2"; else exec sh "$2"; fi')
# $1: the session file. Every process of that session, killed (field 6 of /proc/PID/stat; the
# name before it, in parentheses, may hold spaces).
KILL_RUN = ('session=$(cat "$1") || exit 0; for d in /proc/[0-9]*; do '
            's=$(sed "s/.*) //" "$d/stat" 2>/dev/null | cut -d " " -f 4); '
            '[ "$s" = "$session" ] && kill -KILL "${d#/proc/}" 2>/dev/null; done; true')
STOPPED = "[stopped after {:g} s: the lifecycle time limit]"


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

    def last_output_line(self) -> str:
        """The script's own last line (not the time limit's note)."""
        lines = [line for line in self.log.read_text(errors="replace").splitlines()
                 if line.strip() and line != STOPPED.format(self.timeout)]
        return lines[-1].strip() if lines else ""

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
    try:
        text = script.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"lifecycle script {name}: not UTF-8 text") from None
    if "\0" in text:
        raise UserError(f"lifecycle script {name}: holds a NUL byte; a shell script cannot")
    path = f"{SCRIPT_DIR}/.studio-lifecycle-{name}.sh"
    api = container.client.api
    exec_id = api.exec_create(container.id, ["/bin/sh", "-c", WRITE_AND_RUN, "lifecycle", text,
                                             path], user=user, workdir=home)["Id"]
    sock = api.exec_start(exec_id, socket=True)
    # The engine's client reads with a timeout (300 s); a script quiet for longer is not over.
    getattr(sock, "_sock", sock).settimeout(None)
    write_private(log, "")
    started = time.monotonic()
    reader = threading.Thread(target=_copy, args=(sock, log), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive() or api.exec_inspect(exec_id).get("Running"):
        api.exec_start(api.exec_create(container.id, ["/bin/sh", "-c", KILL_RUN, "kill",
                                                      f"{path}.session"], user="0")["Id"])
        reader.join(10)
        sock.close()
        reader.join(5)
        with log.open("a") as handle:
            handle.write("\n" + STOPPED.format(timeout) + "\n")
        return LifecycleRun(name, None, time.monotonic() - started, timeout, log)
    code = api.exec_inspect(exec_id).get("ExitCode")
    return LifecycleRun(name, code, time.monotonic() - started, timeout, log)


def _copy(sock, log: Path) -> None:
    with log.open("ab") as handle:
        try:
            for _, chunk in frames_iter(sock, tty=False):
                handle.write(chunk)
                handle.flush()
        except OSError:
            pass        # the socket closed under a run stopped at its limit
