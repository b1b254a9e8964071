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
VpcOnly) rules in the namespace let out only DNS and the local AWS's and the credentials
endpoint's ports on this machine: any other connection fails at once with "Network is
unreachable".

slirp4netns runs sandboxed (its own mount namespace, seccomp) and would outlive its container:
`remove` (runtime/container.py) stops the one named in the container's label, and `reap` (at each
attach and each sweep of what a session or the local AWS left) stops those whose container is
gone.
"""
import hashlib
import json
import os
import selectors
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .. import processes
from ..errors import UserError
from ..ports import HOST

SLIRP4NETNS = "slirp4netns"
TAP = "tap0"
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
    aws_ports: tuple[int, ...] = ()     # this machine's ports an app may reach with outbound off


# slirp4netns processes this process started, by socket: stopped and reaped through their Popen
# (the local AWS attaches and removes apps from several threads).
_children: dict[str, subprocess.Popen] = {}
_lock = threading.Lock()


def socket_dir(create: bool = True) -> Path | None:
    """Outside the state folder (a unix socket's path may not pass 107 bytes), in /run for root
    (no other user can create it first), and only if it is ours and private. Not `create`d: None
    when it does not exist."""
    base = Path("/run") if os.geteuid() == 0 and os.access("/run", os.W_OK) else \
        Path(tempfile.gettempdir())
    folder = base / f"studio-containers-nat-{os.geteuid()}"
    try:
        if create:
            folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot make {folder} for the apps' user-mode NAT: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise UserError(f"{folder} is not a private folder of this user (another may have made "
                        "it); remove it and retry")
    return folder


def attachment(container_name: str, guest_port: int, host_port: int, credentials_port: int | None,
               outbound: bool, aws_ports: tuple[int, ...] = ()) -> Attachment:
    name = hashlib.sha256(container_name.encode()).hexdigest()[:16]
    return Attachment(socket_dir() / f"{name}.sock", guest_port, host_port, credentials_port,
                      outbound, tuple(sorted(set(aws_ports))))


def run_kwargs(att: Attachment) -> dict:
    """The container's `docker run` network options: its own namespace, slirp4netns's DNS, and
    labels that name its slirp4netns (for whoever removes it) and its published port."""
    return {"network_mode": "none", "dns": [DNS],
            "labels": {SOCKET_LABEL: str(att.socket), PORT_LABEL: str(att.host_port)}}


def available() -> bool:
    return all(shutil.which(tool) for tool in (SLIRP4NETNS, "nsenter", "iptables"))


def inside_view(aws: dict[str, str]) -> tuple[dict[str, str], int, int]:
    """The container credentials variables made for this machine's loopback (runtime/
    credentials_endpoint.py) as the container sees them; the endpoint's and the local AWS's
    ports here."""
    full = urlsplit(aws["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
    endpoint = urlsplit(aws["AWS_ENDPOINT_URL"])
    return ({**aws,
             "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{CREDENTIALS_ADDRESS}{full.path}",
             "AWS_ENDPOINT_URL": f"http://{HOST_LOOPBACK}:{endpoint.port}"},
            full.port, endpoint.port)


def namespace_rules(att: Attachment) -> list[list[str]]:
    """iptables commands for the container's own namespace."""
    rules = []
    if att.credentials_port is not None:
        rules.append(["-t", "nat", "-A", "OUTPUT", "-d", f"{CREDENTIALS_ADDRESS}/32", "-p", "tcp",
                      "--dport", "80", "-j", "DNAT",
                      "--to-destination", f"{HOST_LOOPBACK}:{att.credentials_port}"])
    if not att.outbound:
        out = ["-A", "OUTPUT", "-o", TAP]
        rules.append([*out, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"])
        rules += [[*out, "-d", DNS, "-p", proto, "--dport", "53", "-j", "ACCEPT"]
                  for proto in ("udp", "tcp")]
        rules += [[*out, "-d", HOST_LOOPBACK, "-p", "tcp", "--dport", str(port), "-j", "ACCEPT"]
                  for port in sorted({*att.aws_ports, *([att.credentials_port]
                                                         if att.credentials_port else [])})]
        rules.append([*out, "-j", "REJECT", "--reject-with", "icmp-net-unreachable"])
    return rules


def attach(pid: int, att: Attachment, container_id: str) -> None:
    """Gives the namespace of the container `container_id`, whose process is `pid`, its rules,
    then its NAT and forwarded port; the rules come first so that nothing leaves before they
    hold."""
    reap()
    _check_is_the_container(pid, container_id)
    for rule in namespace_rules(att):
        done = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "iptables", "-w", *rule],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"could not set the app container's network rules (iptables "
                            f"{' '.join(rule)}): {done.stderr.strip()}")
    att.socket.unlink(missing_ok=True)
    log_path = att.socket.with_suffix(".log")
    try:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise UserError(f"cannot write {log_path}: {exc.strerror}") from None
    try:
        ready_read, ready_write = os.pipe()
    except OSError as exc:
        os.close(log)
        raise UserError(f"cannot start slirp4netns: {exc.strerror}") from None
    try:
        proc = subprocess.Popen(
            [SLIRP4NETNS, "--configure", "--mtu=65520", "--enable-sandbox", "--enable-seccomp",
             f"--ready-fd={ready_write}", f"--api-socket={att.socket}", str(pid), TAP],
            pass_fds=(ready_write,), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)     # it serves the container, not this command
    except OSError as exc:
        os.close(ready_read)
        raise UserError(f"cannot start slirp4netns: {exc.strerror}") from None
    finally:
        os.close(log)
        os.close(ready_write)
    with _lock:
        _children[str(att.socket)] = proc
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(ready_read, selectors.EVENT_READ)
            # One wait on the fd, not wait_until's polling: its EOF (slirp4netns exited) or
            # its "1" must be seen at once.
            ready = selector.select(READY_TIMEOUT)
        if not ready or os.read(ready_read, 1) != b"1":
            raise UserError(f"slirp4netns did not set up the app container's network: "
                            f"{_last_line(log_path)}")
        answer = _api(att.socket, {"execute": "add_hostfwd", "arguments": {
            "proto": "tcp", "host_addr": HOST, "host_port": att.host_port,
            "guest_port": att.guest_port}})
        if "error" in answer:
            raise UserError(f"could not publish the app's port {att.guest_port} on {HOST}:"
                            f"{att.host_port}: {answer['error'].get('desc', answer['error'])}")
    except BaseException:
        _stop(proc.pid, str(att.socket))
        raise
    finally:
        os.close(ready_read)


def _check_is_the_container(pid: int, container_id: str) -> None:
    """`pid` is the container's process as this machine numbers it, in a namespace other than
    ours: an engine in another PID namespace (this tool in a container beside it) reports pids
    that mean something else here, and rules must never land in this machine's own namespace.
    Read from /proc itself: psutil (processes.py) has no cgroups or namespaces."""
    try:
        cgroup = Path(f"/proc/{pid}/cgroup").read_text()
        theirs, ours = os.stat(f"/proc/{pid}/ns/net").st_ino, os.stat("/proc/self/ns/net").st_ino
    except OSError:
        cgroup, theirs, ours = "", 0, 0
    if container_id not in cgroup or theirs == ours:
        raise UserError(f"the app container's process {pid} is not to be found here (is the "
                        "Docker engine in another PID namespace?); set local.network: bridge")


def detach(labels: dict[str, str]) -> None:
    """Stops the slirp4netns of a container (by its label); nothing when it has none."""
    path = labels.get(SOCKET_LABEL)
    if not path:
        return
    with _lock:
        child = _children.get(path)
    if child is not None:
        _stop(child.pid, path)     # ours: stopped and reaped even if it died on its own
    for pid, sock, _ in _running():
        if sock == path:
            _stop(pid, sock)
    Path(path).unlink(missing_ok=True)
    Path(path).with_suffix(".log").unlink(missing_ok=True)


def reap() -> None:
    """Stops ours whose container's process is gone (it was removed by other means), and reaps
    those that ended on their own."""
    with _lock:
        ended = [sock for sock, child in _children.items() if child.poll() is not None]
        for sock in ended:
            del _children[sock]
    if os.geteuid() != 0:
        return      # only root attaches
    found = socket_dir(create=False)
    if found is None:
        return
    folder = str(found)
    for pid, sock, target in _running():
        if sock.startswith(folder + "/") and _gone(target):
            _stop(pid, sock)
            Path(sock).unlink(missing_ok=True)
            Path(sock).with_suffix(".log").unlink(missing_ok=True)


def _running() -> list[tuple[int, str, str]]:
    """(pid, API socket, target pid) of each slirp4netns on this machine started with both."""
    return [(pid, *found) for pid, args in processes.command_lines().items()
            if (found := _slirp4netns(args)) is not None]


def _slirp4netns(args: list[str]) -> tuple[str, str] | None:
    """(API socket, target pid) of a slirp4netns command line; None for any other command, or a
    slirp4netns without both."""
    if not args or Path(args[0]).name != SLIRP4NETNS:
        return None
    sock = next((a.split("=", 1)[1] for a in args if a.startswith("--api-socket=")), None)
    positional = [a for a in args[1:] if a and not a.startswith("-")]
    return (sock, positional[-2]) if sock and len(positional) >= 2 else None


def _gone(pid: str | int) -> bool:
    """No such process, or one that has exited (a zombie its parent has not reaped yet)."""
    return not (str(pid).isdigit() and processes.alive(int(pid)))


def _stop(pid: int, sock: str) -> None:
    """SIGTERM, then SIGKILL after 2 s; reaped here when this process started it. Another's is
    signalled only while it is still the slirp4netns of `sock`."""
    with _lock:
        child = _children.pop(sock, None)
    processes.stop(child if child is not None and child.pid == pid else pid, 2,
                   what="slirp4netns", match=lambda process: f"--api-socket={sock}" in process.cmdline())


def _api(path: Path, request: dict) -> dict:
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(path))
            sock.sendall(json.dumps(request).encode())
            sock.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        return json.loads(data or b"{}")
    except (OSError, ValueError) as exc:
        raise UserError(f"slirp4netns's API ({path}) did not answer {request['execute']}: "
                        f"{exc}") from None


def _last_line(log_path: Path) -> str:
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "it wrote nothing"
