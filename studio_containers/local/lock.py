"""One `invoke local` at a time: a lock held for the session's life and a record of what it runs."""
import errno
import fcntl
import json
import os
import signal
from pathlib import Path

from ..console import warn
from ..errors import UserError
from ..files import write_private
from ..wait import NotYet, WaitTimeout, wait_until

STOP_WAIT = 30


class SessionLock:
    def __init__(self, state_dir: Path):
        self.dir = state_dir / "local"
        self.lock_path = self.dir / "lock"
        self.info_path = self.dir / "session.json"
        self._lock = None

    def acquire(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        lock = open(self.lock_path, "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.close()
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            info = self.read()
            where = f" for {info.get('image')} at {info.get('url')}" if info.get("url") else ""
            raise UserError(f"`invoke local` is already running (pid {info.get('pid', '?')}){where}; "
                            "use it, or stop it with `invoke local --stop`") from None
        self._lock = lock
        # The pid first, so that `--stop` can reach a session that is still building.
        write_private(self.info_path, json.dumps({"pid": os.getpid()}))

    def record(self, **info) -> None:
        info["pid"] = os.getpid()
        write_private(self.info_path, json.dumps(info))   # the URL carries the token

    def read(self) -> dict:
        try:
            return json.loads(self.info_path.read_text())
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        self.info_path.unlink(missing_ok=True)
        if self._lock:
            self._lock.close()
            self._lock = None

    def is_running(self) -> bool:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
            return False

    def stop(self) -> bool:
        """Ask a running session to stop (it cleans up itself); True when one was running."""
        if not self.is_running():
            return False
        pid = self.read().get("pid")
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            wait_until(lambda: not self.is_running() or NotYet(f"pid {pid} still holds the lock"),
                       timeout=STOP_WAIT, what=f"the running `invoke local` (pid {pid}) to stop")
        except WaitTimeout as exc:
            warn(f"{exc}; removing what it runs anyway")   # the caller sweeps its lab and container
        return True
