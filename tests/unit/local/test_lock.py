"""One `invoke local` per state folder: the lock, the record and what a second start says."""
import os
import signal
import stat
import subprocess
import sys

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.local import lock as lock_module
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


HOLDER = ("import signal, sys, time; sys.path.insert(0, sys.argv[2]);"
          "from pathlib import Path; from studio_containers.local.lock import SessionLock;"
          "s = SessionLock(Path(sys.argv[1])); s.acquire(); {then}"
          "print('ready', flush=True); time.sleep(60)")


def hold(tmp_path, then: str = "") -> subprocess.Popen:
    """A process holding the session lock, as a running `invoke local` does."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(then=then), str(tmp_path),
                               str(PROJECT_ROOT)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


@pytest.mark.parametrize("then", ["s.record(image='x', url='u');",   # ready
                                  ""])                               # still building
def test_stop_signals_the_running_session_and_waits_for_it(tmp_path, then):
    holder = hold(tmp_path, then)
    try:
        assert SessionLock(tmp_path).stop() is True
        assert holder.wait(10) == -signal.SIGTERM
        assert SessionLock(tmp_path).stop() is False
    finally:
        holder.kill()


def test_a_session_that_does_not_stop_is_reported_and_left_to_the_sweep(tmp_path, monkeypatch, capsys):
    holder = hold(tmp_path, "signal.signal(signal.SIGTERM, signal.SIG_IGN);")
    monkeypatch.setattr(lock_module, "STOP_WAIT", 0.5)
    try:
        assert SessionLock(tmp_path).stop() is True
        assert f"waiting for the running `invoke local` (pid {holder.pid}) to stop" in capsys.readouterr().err
        assert holder.poll() is None
    finally:
        holder.kill()
