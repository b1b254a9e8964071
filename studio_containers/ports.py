"""Local listener ports: all on 127.0.0.1."""
import os
import socket
import time
from pathlib import Path

from .errors import UserError

HOST = "127.0.0.1"


def free_port() -> int:
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
    deadline = time.monotonic() + timeout
    while not is_free(port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def holders(port: int) -> list[str]:
    """Who holds `port` on 127.0.0.1 (socket state, pid and command), as far as /proc tells this
    user; for an error that must say more than "in use"."""
    states = {"0A": "listening", "01": "connected", "06": "closing (TIME_WAIT)"}
    inodes = {}
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}":
            inodes[fields[9]] = states.get(fields[3], f"state {fields[3]}")
    found = []
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        inode = target[len("socket:["):-1] if target.startswith("socket:[") else None
        if inode in inodes:
            pid = fd.parts[2]
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace").strip()
            except OSError:
                command = "?"
            found.append(f"{inodes.pop(inode)} by pid {pid} ({command[:80]})")
    found += [f"{state}, no process" for state in inodes.values()]
    return found
