"""One `invoke local` at a time: a lock held for the session's life and a record of what it runs."""
import errno
import fcntl
import json
import os
import signal
import time
from pathlib import Path

from .errors import UserError

STOP_WAIT = 30


class LocalSession:
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
        self.info_path.unlink(missing_ok=True)

    def record(self, **info) -> None:
        info["pid"] = os.getpid()
        tmp = self.info_path.with_suffix(".tmp")
        # The URL carries the token: readable by this user only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)
        tmp.replace(self.info_path)

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
        deadline = time.monotonic() + STOP_WAIT
        while time.monotonic() < deadline and self.is_running():
            time.sleep(0.2)
        return True
