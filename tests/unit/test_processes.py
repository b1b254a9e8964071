"""Processes through psutil: the stop sequence on real short-lived processes (a child's Popen, a
child's pid, another's pid, one that ignores SIGTERM, one that ends just before a signal, a
zombie that is not ours), and the readers."""
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from studio_containers import processes
from studio_containers.errors import UserError
from studio_containers.wait import wait_until

IGNORES_TERM = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('ready', flush=True); time.sleep(60)")
# A parent that forks a child running CHILD, says its pid, and never reaps it: the child is not
# ours, and once it ends it stays a zombie while this parent lives.
PARENT = ("import os, sys, time\n"
          "child = os.fork()\n"
          "if child == 0:\n"
          "    {child}\n"
          "    os._exit(0)\n"
          "print(child, flush=True)\n"
          "sys.stdin.read()\n")


@pytest.fixture
def started():
    """Starts processes and kills what a test left running."""
    made = []

    def start(argv, **kwargs):
        proc = subprocess.Popen(argv, **kwargs)
        made.append(proc)
        return proc
    yield start
    for proc in made:
        if proc.stdin:
            proc.stdin.close()
        proc.kill()
        proc.wait()


def _python(started, code: str, *args: str) -> subprocess.Popen:
    """A python child that printed its first line (its handlers are set by then)."""
    proc = started([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                   stdout=subprocess.PIPE, text=True)
    proc.first_line = proc.stdout.readline().strip()
    return proc


def _grandchild(started, child_code: str) -> tuple[subprocess.Popen, int]:
    parent = _python(started, PARENT.format(child=child_code))
    return parent, int(parent.first_line)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_childs_popen_is_stopped_and_reaped(started):
    proc = started(["sleep", "60"])
    began = time.monotonic()
    assert processes.stop(proc, 5, what="sleep") is True
    assert proc.returncode == -signal.SIGTERM and time.monotonic() - began < 2


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout(started):
    proc = _python(started, IGNORES_TERM)
    began = time.monotonic()
    processes.stop(proc, 0.3)
    assert proc.returncode == -signal.SIGKILL and time.monotonic() - began >= 0.3


def test_the_signal_may_be_another(started):
    proc = started(["sleep", "60"])
    processes.stop(proc, 5, sig=signal.SIGINT)
    assert proc.returncode == -signal.SIGINT


def test_a_popen_that_ended_is_nothing_to_stop(started):
    proc = started(["true"])
    proc.wait()
    assert processes.stop(proc, 5) is False


def test_a_childs_pid_is_stopped_and_reaped_not_left_a_zombie(started):
    proc = started(["sleep", "60"])
    assert processes.stop(proc.pid, 5) is True
    with pytest.raises(ChildProcessError):      # collected already
        os.waitpid(proc.pid, os.WNOHANG)


def test_a_pid_that_ignores_sigterm_is_killed_after_the_timeout(started):
    proc = _python(started, IGNORES_TERM)
    began = time.monotonic()
    assert processes.stop(proc.pid, 0.3) is True
    assert not _running(proc.pid) and time.monotonic() - began >= 0.3


def test_another_processs_child_is_stopped(started):
    parent, pid = _grandchild(started, "time.sleep(60)")
    assert processes.alive(pid) and psutil.Process(pid).ppid() == parent.pid
    began = time.monotonic()
    assert processes.stop(pid, 5) is True
    assert not _running(pid)
    # It is a zombie now (its parent never reaps it): ended, without waiting for the timeout
    # as psutil's own wait() on another's zombie would.
    assert time.monotonic() - began < 2


def test_another_processs_zombie_is_not_running_and_nothing_to_stop(started):
    _, pid = _grandchild(started, "pass")
    wait_until(lambda: psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, timeout=10,
               interval=0.02, what="the child to be a zombie")
    assert not processes.alive(pid)
    assert processes.ended(psutil.Process(pid))
    began = time.monotonic()
    assert processes.stop(pid, 5) is False and time.monotonic() - began < 1


@pytest.mark.parametrize("signal_method", ["send_signal", "kill"])
def test_a_process_that_ends_just_before_a_signal_is_no_error(started, monkeypatch, signal_method):
    proc = _python(started, IGNORES_TERM)
    real = getattr(psutil.Process, signal_method)

    def ends_first(self, *args):
        proc.kill()
        proc.wait()     # gone: the signal finds no process
        return real(self, *args)
    monkeypatch.setattr(psutil.Process, signal_method, ends_first)
    assert processes.stop(proc.pid, 0.2) is True
    assert proc.returncode == -signal.SIGKILL      # ended by the test, not the stop


def test_a_pid_taken_by_another_process_since_is_never_signalled(started):
    proc = started(["sleep", "60"])
    found = processes.get(proc.pid)
    # psutil tells a process by its pid and start time: as if `found` had ended and its
    # pid were now the sleep's.
    found._ident = (found.pid, found._ident[1] - 100)
    assert processes.stop(found, 0.2) is True
    assert proc.poll() is None


def test_only_what_the_match_accepts_is_stopped(started):
    proc = started(["sleep", "60"])
    # Just after its exec, a process's command line reads empty for a moment.
    wait_until(lambda: psutil.Process(proc.pid).cmdline(), timeout=10, interval=0.01,
               what="the sleep's command line")
    other, ours = (lambda p: "other" in p.cmdline()), (lambda p: "sleep" in p.cmdline())
    assert processes.stop(proc.pid, 5, match=other) is False
    assert proc.poll() is None
    assert processes.stop(proc.pid, 5, match=ours) is True
    assert not _running(proc.pid)


def test_another_users_process_is_said_to_be_theirs(started, monkeypatch):
    proc = started(["sleep", "60"])

    def denied(self, sig):
        raise psutil.AccessDenied(self.pid)
    monkeypatch.setattr(psutil.Process, "send_signal", denied)
    with pytest.raises(UserError, match=rf"^cannot stop the thing \(pid {proc.pid}\): it is "
                                        r"another user's$"):
        processes.stop(proc.pid, 5, what="the thing")


def test_alive_needs_a_running_process_that_the_match_accepts(started):
    proc = started(["sleep", "60"])
    assert processes.alive(proc.pid) and processes.alive(proc.pid, lambda p: p.name() == "sleep")

    def unreadable(process):
        raise psutil.AccessDenied(process.pid)
    assert not processes.alive(proc.pid, unreadable)
    for nothing in (None, 0, -1, "123"):
        assert not processes.alive(nothing)
    proc.kill()
    proc.wait()
    assert not processes.alive(proc.pid)


def test_processes_are_found_by_a_match_and_their_command_lines(started):
    mark = f"processes-under-test-{os.getpid()}"
    proc = started([sys.executable, "-c", "import time; time.sleep(60)", mark])
    wait_until(lambda: mark in processes.command_lines().get(proc.pid, []), timeout=10,
               interval=0.02, what="the child's command line")
    assert processes.find(lambda p: mark in p.cmdline()) == [proc.pid]
    assert os.getpid() not in processes.command_lines()
    assert processes.find(lambda p: True).count(os.getpid()) == 0
    assert processes.command(proc.pid).endswith(f"time.sleep(60) {mark}")
    proc.kill()
    proc.wait()
    assert processes.command(proc.pid) == "?" and processes.find(lambda p: mark in p.cmdline()) == []


def test_the_sockets_on_a_port_and_their_holders():
    import socket
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert processes.sockets(port, ["127.0.0.1"]) == [("LISTEN", os.getpid())]
        assert processes.sockets(port, ["0.0.0.0"]) == []
    assert processes.sockets(port, ["127.0.0.1"]) == []


