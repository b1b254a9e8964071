"""A background process of the local AWS: started detached, found by its pid file, stopped."""
import json
import os
import stat
import sys

import pytest

from studio_containers.localaws.daemon import Daemon
from studio_containers.wait import wait_until

MARKER = "localaws-daemon-under-test"
SLEEPER = "import signal, sys, time\n{before}print('ready', flush=True)\ntime.sleep(60)\n"


@pytest.fixture
def daemon(tmp_path):
    made = Daemon("sleeper", tmp_path / "aws", MARKER)
    yield made
    made.stop(timeout=1)


def _start(daemon: Daemon, before: str = ""):
    started = daemon.log_tail().count("ready") + 1
    proc = daemon.start([sys.executable, "-c", SLEEPER.format(before=before), MARKER],
                        dict(os.environ), daemon.log_file.parent)
    wait_until(lambda: daemon.log_tail().count("ready") == started, timeout=10, interval=0.05,
               what="the sleeper starting")
    return proc


def test_a_started_daemon_is_found_logs_privately_and_stops(daemon):
    proc = _start(daemon)
    assert daemon.pid() == proc.pid
    assert stat.S_IMODE(daemon.log_file.stat().st_mode) == 0o600
    assert daemon.stop()
    assert daemon.pid() is None and not daemon.pid_file.exists()
    assert proc.wait(timeout=5) in (-15, 0)  # 0: stop() reaped it already
    assert not daemon.stop()


def test_the_log_is_appended_across_starts(daemon):
    _start(daemon)
    daemon.stop()
    daemon.log_file.write_text(daemon.log_file.read_text() + "first run\n")
    _start(daemon)
    assert daemon.log_tail()[:2] == ["ready", "first run"]
    assert daemon.log_tail().count("ready") == 2


def test_a_daemon_that_ignores_sigterm_is_killed_after_the_timeout(daemon):
    proc = _start(daemon, before="signal.signal(signal.SIGTERM, signal.SIG_IGN)\n")
    assert daemon.stop(timeout=0.5)
    # It ignores SIGTERM and sleeps 60 s: only SIGKILL ends it this soon. 0: stop() reaped it.
    assert proc.wait(timeout=5) in (-9, 0)
    assert daemon.pid() is None


def test_a_pid_that_runs_something_else_is_not_ours(daemon):
    daemon.pid_file.parent.mkdir(parents=True)
    daemon.pid_file.write_text(json.dumps({"pid": os.getpid()}))
    assert daemon.pid() is None
    assert not daemon.stop()
    assert not daemon.pid_file.exists()
