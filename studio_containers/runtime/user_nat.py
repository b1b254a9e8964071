"""User-mode NAT for one app container (slirp4netns), where the engine's bridge has no NAT.

The container starts on no network ("none"): a namespace of its own with only loopback, where
the app listens on its own port 8888 as in Studio. slirp4netns (the NAT of rootless Docker and
Podman) then gives that namespace a tap device whose traffic it carries through this machine's
own sockets, so the app reaches what the host reaches with no change to the host's firewall, and
it publishes the app's port on 127.0.0.1 only.

Inside, 10.0.2.2 is this machine's loopback and 10.0.2.3 its DNS. The container credentials
endpoint is reached at 169.254.170.2:80, the address of Studio's (ECS's) own endpoint and one
botocore accepts over plain http: a DNAT rule in the container's namespace (never the host's)
sends it to the endpoint's port on this machine's loopback. With outbound access off (Studio's
VpcOnly) a reject rule in the namespace lets out only what goes to this machine (the local AWS,
its credentials, DNS): any other connection fails at once with "Network is unreachable".

slirp4netns outlives neither its container nor us for long: `remove` (runtime/gateway.py) stops
the one named in the container's label, and every attach reaps those whose container is gone.
"""
import hashlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import UserError
from ..ports import HOST

SLIRP4NETNS = "slirp4netns"
TAP = "tap0"
SUBNET = "10.0.2.0/24"
HOST_LOOPBACK = "10.0.2.2"      # slirp4netns's address for this machine's 127.0.0.1
DNS = "10.0.2.3"
CREDENTIALS_ADDRESS = "169.254.170.2"
SOCKET_LABEL = "studio-containers.nat-socket"
PORT_LABEL = "studio-containers.nat-port"     # the host port slirp4netns publishes the app on
READY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Attachment:
    """What one container's slirp4netns does: forwards 127.0.0.1:host_port to its guest_port,
    sends 169.254.170.2:80 to credentials_port on this machine, and lets out all or only what
    goes to this machine."""
    socket: Path
    guest_port: int
    host_port: int
    credentials_port: int | None
    outbound: bool


def socket_dir() -> Path:
    """Outside the state folder: a unix socket's path may not pass 107 bytes."""
    folder = Path(tempfile.gettempdir()) / f"studio-containers-nat-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def attachment(container_name: str, guest_port: int, host_port: int, credentials_port: int | None,
               outbound: bool) -> Attachment:
    name = hashlib.sha256(container_name.encode()).hexdigest()[:16]
    return Attachment(socket_dir() / f"{name}.sock", guest_port, host_port, credentials_port, outbound)


def run_kwargs(att: Attachment) -> dict:
    """The container's `docker run` network options: its own namespace, slirp4netns's DNS, and
    labels that name its slirp4netns (for whoever removes it) and its published port."""
    return {"network_mode": "none", "dns": [DNS],
            "labels": {SOCKET_LABEL: str(att.socket), PORT_LABEL: str(att.host_port)}}


def available() -> bool:
    return all(shutil.which(tool) for tool in (SLIRP4NETNS, "nsenter", "iptables"))


def inside_view(aws: dict[str, str]) -> tuple[dict[str, str], int]:
    """The container credentials variables made for this machine's loopback (runtime/
    credentials_endpoint.py) as the container sees them; and the endpoint's port here."""
    full = urlsplit(aws["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
    endpoint = urlsplit(aws["AWS_ENDPOINT_URL"])
    return ({**aws,
             "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{CREDENTIALS_ADDRESS}{full.path}",
             "AWS_ENDPOINT_URL": f"http://{HOST_LOOPBACK}:{endpoint.port}"},
            full.port)


def namespace_rules(att: Attachment) -> list[list[str]]:
    """iptables commands for the container's own namespace."""
    rules = []
    if att.credentials_port is not None:
        rules.append(["-t", "nat", "-A", "OUTPUT", "-d", f"{CREDENTIALS_ADDRESS}/32", "-p", "tcp",
                      "--dport", "80", "-j", "DNAT",
                      "--to-destination", f"{HOST_LOOPBACK}:{att.credentials_port}"])
    if not att.outbound:
        rules.append(["-A", "OUTPUT", "-o", TAP, "!", "-d", SUBNET, "-j", "REJECT",
                      "--reject-with", "icmp-net-unreachable"])
    return rules


def attach(pid: int, att: Attachment) -> None:
    """Gives the namespace of the container whose process is `pid` its rules, then its NAT and
    forwarded port; the rules come first so that nothing leaves before they hold."""
    reap()
    for rule in namespace_rules(att):
        done = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "iptables", "-w", *rule],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"could not set the app container's network rules (iptables "
                            f"{' '.join(rule)}): {done.stderr.strip()}")
    att.socket.unlink(missing_ok=True)
    log_path = att.socket.with_suffix(".log")
    ready_read, ready_write = os.pipe()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [SLIRP4NETNS, "--configure", "--mtu=65520", f"--ready-fd={ready_write}",
             f"--api-socket={att.socket}", str(pid), TAP],
            pass_fds=(ready_write,), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)     # it serves the container, not this command
    os.close(ready_write)
    try:
        ready, _, _ = select.select([ready_read], [], [], READY_TIMEOUT)
        if not ready or os.read(ready_read, 1) != b"1":
            _stop(proc.pid)
            raise UserError(f"slirp4netns did not set up the app container's network: "
                            f"{_last_line(log_path)}")
    finally:
        os.close(ready_read)
    answer = _api(att.socket, {"execute": "add_hostfwd", "arguments": {
        "proto": "tcp", "host_addr": HOST, "host_port": att.host_port, "guest_port": att.guest_port}})
    if "error" in answer:
        _stop(proc.pid)
        raise UserError(f"could not publish the app's port {att.guest_port} on "
                        f"{HOST}:{att.host_port}: {answer['error'].get('desc', answer['error'])}")


def detach(labels: dict[str, str]) -> None:
    """Stops the slirp4netns of a container (by its label); nothing when it has none."""
    path = labels.get(SOCKET_LABEL)
    if not path:
        return
    for pid, sock, _ in _running():
        if sock == path:
            _stop(pid)
    Path(path).unlink(missing_ok=True)
    Path(path).with_suffix(".log").unlink(missing_ok=True)


def reap() -> None:
    """Stops ours whose container's process is gone (it was removed by other means)."""
    folder = str(socket_dir())
    for pid, sock, target in _running():
        if sock.startswith(folder + "/") and not Path(f"/proc/{target}").exists():
            _stop(pid)
            Path(sock).unlink(missing_ok=True)
            Path(sock).with_suffix(".log").unlink(missing_ok=True)


def _running() -> list[tuple[int, str, str]]:
    """(pid, API socket, target pid) of each slirp4netns on this machine started with both."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if not args or Path(args[0]).name != SLIRP4NETNS:
            continue
        sock = next((a.split("=", 1)[1] for a in args if a.startswith("--api-socket=")), None)
        positional = [a for a in args[1:] if a and not a.startswith("-")]
        if sock and len(positional) >= 2:
            found.append((int(entry.name), sock, positional[-2]))
    return found


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            # Our child when this process started it: reap it so it does not linger a zombie.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not Path(f"/proc/{pid}").exists():
                return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _api(path: Path, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode())
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return json.loads(data or b"{}")


def _last_line(log_path: Path) -> str:
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "it wrote nothing"
