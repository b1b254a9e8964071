"""Local listener ports: all on 127.0.0.1."""
import socket
from collections.abc import Iterable

from . import processes
from .errors import UserError
from .wait import became

HOST = "127.0.0.1"


# Ports free_port() gave out in this process: one is chosen before its listener binds it, and
# until then the kernel may give it out again.
_GIVEN: set[int] = set()


def free_port(avoid: Iterable[int] = ()) -> int:
    """A port free on 127.0.0.1 now: not one this process was given before, nor one of `avoid`
    (chosen elsewhere, as a user's --port, and not bound yet)."""
    taken = _GIVEN.union(avoid)
    for _ in range(100):
        port = _any_free_port()
        if port not in taken:
            _GIVEN.add(port)
            return port
    raise UserError(f"no free port found on {HOST}: the ephemeral range is used up")


def _any_free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def ensure_free(port: int, name: str) -> int:
    """`port`, or any free port when 0; a port already taken is the user's to change."""
    if port == 0:
        return free_port()
    if not is_free(port):
        raise UserError(f"{name} {port}: {HOST}:{port} is already in use; "
                        f"choose a free port (e.g. {name} {free_port()})")
    return port


def is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_free(port: int, timeout: float) -> bool:
    """Whether `port` is free within `timeout` seconds: one a process of ours held until just
    now may still be bound while that process finishes exiting."""
    return became(lambda: is_free(port), timeout=timeout, interval=0.1)


# Where a socket keeps 127.0.0.1:port from being bound: itself, or every address.
BLOCKING = (HOST, "0.0.0.0", "::", f"::ffff:{HOST}")
STATES = {"LISTEN": "listening", "ESTABLISHED": "connected", "TIME_WAIT": "closing (TIME_WAIT)"}


def holders(port: int) -> list[str]:
    """Who holds `port` on 127.0.0.1 or every address (socket state, pid and command), as far as
    this user may see; for an error that must say more than "in use"."""
    found = []
    for status, pid in processes.sockets(port, BLOCKING):
        state = STATES.get(status, f"state {status}")
        found.append(f"{state} by pid {pid} ({processes.command(pid)[:80]})" if pid is not None
                     else f"{state}, no process")
    return found
