"""A background process of the local AWS: started detached, found again by its pid file."""
import json
import os
import signal
import subprocess
from pathlib import Path

from ..console import show_tail
from ..files import open_private_log, write_private
from ..wait import WaitTimeout, wait_until


class Daemon:
    def __init__(self, name: str, folder: Path, marker: str):
        self.name = name
        self.pid_file = folder / f"{name}.pid"
        self.log_file = folder / f"{name}.log"
        # A word of its command line: a recycled pid that runs something else is not ours.
        self.marker = marker

    def pid(self) -> int | None:
        try:
            pid = json.loads(self.pid_file.read_text())["pid"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return pid if self._is_ours(pid) else None

    def _is_ours(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        return self.marker in cmdline       # a zombie's is empty: it is gone

    def _ended(self, pid: int) -> bool:
        """Gone for good, its sockets closed. An exiting process loses its cmdline (its memory)
        before its files: until it is a zombie, its ports may still be bound, and a start right
        after the stop would find them in use."""
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        return bool(cmdline) and self.marker not in cmdline    # the pid is another program's now

    def start(self, argv: list[str], env: dict, cwd: Path) -> subprocess.Popen:
        log = open_private_log(self.log_file, append=True)
        # Own session: it outlives the task and is not hit by the terminal's Ctrl-C.
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        write_private(self.pid_file, json.dumps({"pid": proc.pid}))
        return proc

    def stop(self, timeout: float = 15) -> bool:
        pid = self.pid()
        # The pid file goes first: a deploy's watcher (control.kept_running) then sees a stop on
        # purpose, not a death to recover from.
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return True
        try:
            wait_until(lambda: _reap(pid) or self._ended(pid), timeout=timeout, interval=0.1,
                       what=f"the local AWS {self.name} (pid {pid}) to stop")
        except WaitTimeout:
            if self._is_ours(pid):
                os.kill(pid, signal.SIGKILL)
                try:       # its sockets close only once it is gone (a zombie is: not reaped here)
                    wait_until(lambda: self._ended(pid), timeout=5, interval=0.05,
                               what=f"the local AWS {self.name} (pid {pid}) to end")
                except WaitTimeout:
                    pass
        return True

    def log_tail(self) -> list[str]:
        try:
            return self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def show_log_tail(self) -> None:
        show_tail(str(self.log_file), self.log_tail())


def _reap(pid: int) -> bool:
    """Collects our own exited child so it does not linger as a zombie (cmdline stays empty)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        return False
