"""One `invoke local` per state folder: the lock, the record and what a second start says."""
import os
import stat
import subprocess
import sys

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.local.lock import SessionLock


def test_second_session_is_refused_with_where_the_first_runs(tmp_path):
    first = SessionLock(tmp_path)
    first.acquire()
    first.record(image="python-basic", url="http://127.0.0.1:8888/lab?token=x")
    assert stat.S_IMODE(os.stat(first.info_path).st_mode) == 0o600
    assert first.is_running()
    with pytest.raises(UserError, match=r"already running \(pid \d+\) for python-basic at http://127"):
        SessionLock(tmp_path).acquire()
    first.release()
    assert not first.is_running() and not first.info_path.exists()
    SessionLock(tmp_path).acquire()


def test_stop_signals_the_running_session_and_waits_for_it(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from studio_containers.local.lock import SessionLock;"
        "s = SessionLock(Path(sys.argv[1])); s.acquire(); s.record(image='x', url='u');"
        "print('ready', flush=True); time.sleep(60)"), str(tmp_path), str(PROJECT_ROOT)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert SessionLock(tmp_path).stop() is True
        assert holder.wait(10) != 0  # SIGTERM ended it
        assert SessionLock(tmp_path).stop() is False
    finally:
        holder.kill()
