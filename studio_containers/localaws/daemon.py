"""A background process of the local AWS: started detached, found again by its pid file."""
import json
import subprocess
from pathlib import Path

from .. import processes
from ..console import show_tail
from ..files import open_private_log, write_private


class Daemon:
    def __init__(self, name: str, folder: Path, marker: str):
        self.name = name
        self.pid_file = folder / f"{name}.pid"
        self.log_file = folder / f"{name}.log"
        # A word of its command line: a recycled pid that runs something else is not ours.
        self.marker = marker

    def pid(self) -> int | None:
        process = self._process()
        return process.pid if process is not None else None

    def _process(self):
        try:
            pid = json.loads(self.pid_file.read_text())["pid"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return processes.get(pid, self._is_ours)

    def _is_ours(self, process) -> bool:
        return any(self.marker in arg for arg in process.cmdline())

    def start(self, argv: list[str], env: dict, cwd: Path) -> subprocess.Popen:
        log = open_private_log(self.log_file, append=True)
        # Own session: it outlives the task and is not hit by the terminal's Ctrl-C.
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        write_private(self.pid_file, json.dumps({"pid": proc.pid}))
        return proc

    def stop(self, timeout: float = 15) -> bool:
        process = self._process()
        # The pid file goes first: a deploy's watcher (control.kept_running) then sees a stop on
        # purpose, not a death to recover from.
        self.pid_file.unlink(missing_ok=True)
        if process is None:
            return False
        # Waited for until it is gone or a zombie: an exiting process loses its command line
        # (its memory) before its files, so its ports are free only then.
        processes.stop(process, timeout, what=f"the local AWS {self.name}")
        return True

    def log_tail(self) -> list[str]:
        try:
            return self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def show_log_tail(self) -> None:
        show_tail(str(self.log_file), self.log_tail())

