"""Processes, through psutil: the one stop sequence (a signal, a wait, SIGKILL, a wait) for a
child of ours or any other process, and what /proc tells of processes (alive, command lines,
who holds a port).

psutil is imported inside the functions: runtime/lab.py, on `invoke local`'s fast-start path,
imports this module, and psutil's import costs about 20 ms.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .errors import UserError
from .wait import became

if TYPE_CHECKING:
    import psutil

Match = Callable[["psutil.Process"], bool]     # may raise psutil.Error: then it is no match
INTERVAL = 0.05         # between looks at a process that was told to end
KILL_WAIT = 5.0         # for the end after SIGKILL (its sockets close only then)


def alive(pid: int | None, match: Match | None = None) -> bool:
    """Whether `pid` runs (a zombie does not) and is what `match` accepts."""
    return get(pid, match) is not None


def get(pid: int | None, match: Match | None = None) -> psutil.Process | None:
    """The process `pid` while it runs and `match` accepts it (for `stop`: that process, not one
    that takes its number later); None otherwise."""
    import psutil
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        process = psutil.Process(pid)
    except psutil.Error:
        return None
    return process if _accepts(process, match) else None


def _accepts(process: psutil.Process, match: Match | None) -> bool:
    import psutil
    try:
        return (process.status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
                and (match is None or match(process)))
    except psutil.Error:        # gone, or this user may not read what `match` reads
        return False


def find(match: Match) -> list[int]:
    """The pids of every other running process `match` accepts."""
    import psutil
    return [process.pid for process in psutil.process_iter()
            if process.pid != os.getpid() and _accepts(process, match)]


def command_lines() -> dict[int, list[str]]:
    """The arguments of every other running process that this user may read (kernel threads
    and zombies, which have none, left out)."""
    import psutil
    found = {}
    for process in psutil.process_iter():
        try:
            args = process.cmdline()
        except psutil.Error:
            continue
        if args and process.pid != os.getpid():
            found[process.pid] = args
    return found


def command(pid: int) -> str:
    """The command line of `pid` as one string; "?" when it cannot be read."""
    import psutil
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return "?"


def sockets(port: int, addresses: Iterable[str]) -> list[tuple[str, int | None]]:
    """(TCP state as psutil names it, LISTEN say; the pid holding it, None when this user cannot
    see it) of each TCP socket bound to `port` on one of `addresses`, the visible holders first."""
    import psutil
    addresses = set(addresses)
    try:
        connections = psutil.net_connections("tcp")
    except psutil.Error:
        return []
    found = {(c.status, c.pid): None for c in connections
             if c.laddr and c.laddr.port == port and c.laddr.ip in addresses}
    return sorted(found, key=lambda state_pid: state_pid[1] is None)


def ended(process: psutil.Process) -> bool:
    """Gone, its pid taken by another process since (psutil compares start times), or exited: a
    zombie, collected here when it is our child. psutil's own wait() would block on another's
    zombie until its timeout."""
    import psutil
    try:
        if not process.is_running():
            return True
        if process.status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
    except psutil.NoSuchProcess:
        return True
    with contextlib.suppress(ChildProcessError):
        os.waitpid(process.pid, os.WNOHANG)
    return True


def stop(target: int | subprocess.Popen | psutil.Process, timeout: float, *, what: str = "a process",
         match: Match | None = None, sig: int = signal.SIGTERM, kill_wait: float = KILL_WAIT) -> bool:
    """Sends `sig`, gives the process `timeout` seconds to end, then SIGKILL; False when nothing
    (that `match` accepts) ran. A Popen is waited for (reaped, its returncode set); a pid (found
    with `match`) or a psutil.Process (from `get`) is signalled only while it is the process
    found, never one that took its number since, and one that ends just before a signal is no
    error."""
    if isinstance(target, subprocess.Popen):
        return _stop_child(target, timeout, sig)
    import psutil
    process = target if isinstance(target, psutil.Process) else get(target, match)
    if process is None:
        return False
    try:
        process.send_signal(sig)
        if not became(lambda: ended(process), timeout=timeout, interval=INTERVAL):
            process.kill()
            became(lambda: ended(process), timeout=kill_wait, interval=INTERVAL)
    except psutil.NoSuchProcess:
        pass        # it ended just before a signal
    except psutil.AccessDenied:
        raise UserError(f"cannot stop {what} (pid {process.pid}): it is another user's") from None
    return True


def _stop_child(proc: subprocess.Popen, timeout: float, sig: int) -> bool:
    if proc.poll() is not None:
        return False
    proc.send_signal(sig)       # Popen's own signals go nowhere once it is reaped
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return True

