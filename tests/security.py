"""What the security checks of the end-to-end tests look at: every listening TCP socket of this
machine (to find those a step opened), and files that must not hold a secret."""
import socket
import struct
from pathlib import Path

LISTEN = "0A"


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hex_address, 16)))
    # /proc/net/tcp6 writes the address as four little-endian 32-bit words.
    words = [struct.pack("<I", int(hex_address[i:i + 8], 16)) for i in range(0, 32, 8)]
    return socket.inet_ntop(socket.AF_INET6, b"".join(words))


def listeners() -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket, IPv4 and IPv6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN:
                address, port = fields[1].split(":")
                found.add((_address(address), int(port, 16)))
    return found


def not_loopback(found: set[tuple[str, int]]) -> set[tuple[str, int]]:
    return {(a, p) for a, p in found if a not in ("127.0.0.1", "::1")}


def files_holding(root: Path, secrets: list[str], allowed: set[Path]) -> list[str]:
    """Files under root (but those allowed) that contain any of the secrets, and which."""
    found = []
    wanted = [s.encode() for s in secrets if s]
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        if path in allowed:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits = [s.decode()[:6] + "…" for s in wanted if s in data]
        if hits:
            found.append(f"{path}: {', '.join(hits)}")
    return found
