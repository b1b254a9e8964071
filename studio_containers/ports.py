"""Local listener ports: all on 127.0.0.1."""
import socket

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
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            raise UserError(f"{name} {port}: {HOST}:{port} is already in use; "
                            f"choose a free port (e.g. {name} {free_port()})") from None
    return port
