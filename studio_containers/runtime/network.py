"""Which network an app's container gets, so that its kernels or its space reach what the host
reaches, as Studio's apps reach the internet in its default network mode (PublicInternetOnly);
or, in Studio's VpcOnly mode, nothing but this machine's local AWS.

On its default bridge a container reaches out only through the engine's NAT (the MASQUERADE
rule dockerd adds unless started with `--iptables=false`, as this tool starts it so that it
never changes the host's firewall). Without NAT, DNS fails after a 10 s wait and connections
hang; with it, the app still cannot reach the local AWS on this machine's loopback. So a local
engine's app gets user-mode NAT of its own (slirp4netns, runtime/user_nat.py): its own namespace
and port 8888 as on the bridge, the host's network (loopback included) through this machine's
sockets, its port published on 127.0.0.1. Where slirp4netns is missing and cannot be installed, a
KernelGateway app falls back to host networking, its gateway listening on 127.0.0.1 behind its
token; a space cannot (its app binds port 8888 of whatever network it is on) and stays on the
bridge, said so. Not root, the NAT table cannot be read nor slirp4netns join a container: the
bridge is kept, said so.
A remote engine's network is not this machine's, so there the bridge is kept.

Under user-mode NAT (through 10.0.2.2) or the host's network, an app's code reaches every service
on this machine's loopback, as any local process does: the tool's own listeners require their
tokens or keys, other programs' may not.
"""
import os
import platform
import shutil
import subprocess
import threading
from dataclasses import dataclass

from .. import host, processes
from ..console import say
from ..errors import UserError
from ..ports import HOST
from ..settings import NETWORK_CHOICES
from ..studio import AppNetworkAccess
from . import user_nat

AUTO, BRIDGE, HOST_NETWORK, USER_NAT = NETWORK_CHOICES
PUBLIC, VPC_ONLY = AppNetworkAccess.PUBLIC, AppNetworkAccess.VPC_ONLY


@dataclass(frozen=True)
class AppNetwork:
    mode: str               # BRIDGE, HOST_NETWORK or USER_NAT
    why: str                # said to the user when the app starts
    outbound: bool = True   # False: VpcOnly, only this machine (the local AWS) is reachable


_USER_NAT_WHY = ("the app gets user-mode NAT of its own (slirp4netns): it reaches what this "
                 "machine reaches, the local AWS included, and its port is published on "
                 "127.0.0.1 only")


def choose(setting: str, engine_is_local: bool, bridge_nat: bool | None, space: bool = False,
           can_user_nat: bool = False, access: str = PUBLIC,
           access_from: str = "local.network_access") -> AppNetwork:
    """`bridge_nat`: whether the engine's bridge has NAT (None: could not be told);
    `can_user_nat`: slirp4netns can serve this engine's containers from here; `access_from`:
    where `access` was set, for the user."""
    if access == VPC_ONLY:
        if not can_user_nat:
            raise UserError(f"{access_from}: VpcOnly needs slirp4netns, a Docker engine on this "
                            "machine and root (the app's own namespace gets the rules that keep "
                            "it in); PublicInternetOnly runs here")
        return AppNetwork(USER_NAT, f"VpcOnly ({access_from}): the app reaches only this "
                                    "machine's local AWS; any other connection fails at once",
                          outbound=False)
    if setting == BRIDGE:
        return AppNetwork(BRIDGE, "local.network is bridge: the app reaches the network only if "
                                  "the engine gives its bridge NAT")
    if setting == USER_NAT:
        if not can_user_nat:
            raise UserError("local.network: slirp4netns needs slirp4netns, a Docker engine on "
                            "this machine and root; use auto, bridge or host")
        return AppNetwork(USER_NAT, f"local.network is slirp4netns: {_USER_NAT_WHY}")
    if setting == HOST_NETWORK and not space:
        return AppNetwork(HOST_NETWORK, "local.network is host: kernels use this machine's network")
    if not engine_is_local:
        return AppNetwork(BRIDGE, "the engine runs elsewhere: the app reaches the network "
                                  "through its bridge")
    if can_user_nat:
        # Taken over the engine's own NAT too: on the bridge the app could not reach the local
        # AWS, which is on this machine's loopback.
        return AppNetwork(USER_NAT, _USER_NAT_WHY)
    if bridge_nat:
        return AppNetwork(BRIDGE, "the app reaches the network through the engine's NAT (not "
                                  "the local AWS: user-mode NAT needs root and slirp4netns)")
    if bridge_nat is None or space:
        return AppNetwork(BRIDGE, "the app stays on the engine's bridge: it reaches the network "
                                  "only if the engine NATs it (here user-mode NAT needs root and "
                                  "slirp4netns)")
    return AppNetwork(HOST_NETWORK, "the engine's bridge has no NAT (dockerd --iptables=false), so "
                                    "kernels use this machine's network (host networking; the "
                                    "gateway listens on 127.0.0.1 only, behind its token)")


def placement(network: AppNetwork, container_name: str, guest_port: int, host_port: int,
              aws: dict[str, str] | None) -> tuple[dict, dict[str, str], user_nat.Attachment | None]:
    """For one app container: `docker run`'s network options; the variables of the container
    credentials endpoint (made for this machine's loopback) as the container sees them, empty
    where it cannot reach them (the bridge); and the NAT to attach once it runs."""
    if network.mode == USER_NAT:
        env, credentials_port, aws_port = user_nat.inside_view(aws) if aws else ({}, None, None)
        nat = user_nat.attachment(container_name, guest_port, host_port, credentials_port,
                                  network.outbound, aws_ports=(aws_port,) if aws_port else ())
        return user_nat.run_kwargs(nat), env, nat
    if network.mode == HOST_NETWORK:
        return {"network_mode": HOST_NETWORK}, dict(aws or {}), None
    return {"ports": {f"{guest_port}/tcp": (HOST, host_port)}}, {}, None


def offers_aws(network: AppNetwork) -> bool:
    """Whether the app's container reaches this machine's loopback (the local AWS, the
    credentials endpoint)."""
    return network.mode in (HOST_NETWORK, USER_NAT)


BRIDGE_NETWORK = AppNetwork(BRIDGE, "the engine's bridge")


def app_network(client, setting: str, space: bool = False, access: str = PUBLIC,
                access_from: str = "local.network_access") -> AppNetwork:
    local = engine_is_local(client)
    wants_user_nat = access == VPC_ONLY or setting in ("auto", USER_NAT) or (
        setting == HOST_NETWORK and space)
    user = wants_user_nat and local and can_user_nat()
    # The NAT table matters only where user-mode NAT is not taken.
    nat = bridge_has_nat(client) if local and setting == "auto" and not user else None
    return choose(setting, local, nat, space=space, can_user_nat=user, access=access,
                  access_from=access_from)


_install_lock = threading.Lock()    # the local AWS launches apps from several threads
_install_failed = []                # once per process: an offline apt would fail each launch


def can_user_nat() -> bool:
    """slirp4netns can join a container's namespace from here (root, the engine's processes in
    our PID namespace), installed now if need be; an install that fails is said, and the answer
    is no."""
    if os.geteuid() != 0 or not _sees_the_engine():
        return False
    with _install_lock:
        if not user_nat.available() and host.can_install_here() and not _install_failed:
            say("Installing Debian's slirp4netns, the user-mode NAT for app containers (apt-get)")
            try:
                host.apt_install([user_nat.SLIRP4NETNS, "iptables", "util-linux"])
            except UserError as exc:
                _install_failed.append(exc)
                say(f"Could not install slirp4netns ({exc}); apps get another network")
        return user_nat.available()


def _sees_the_engine() -> bool:
    """dockerd among this machine's processes as we see them: the pids the engine reports
    (a container's State.Pid) are then ours too."""
    return bool(processes.find(lambda process: process.name() == "dockerd"))


def engine_is_local(client) -> bool:
    """The engine shares this machine's network: reached over a unix socket and named as this
    host (Docker Desktop's engine, in its own VM, is reached over a socket too), and not
    rootless (its "host" network is a namespace of its own)."""
    if not client.api.base_url.startswith("http+docker://localhost"):
        return False
    info = client.info()
    return (info.get("Name") == platform.node()
            and "Desktop" not in (info.get("OperatingSystem") or "")
            and "name=rootless" not in " ".join(info.get("SecurityOptions") or []))


def bridge_has_nat(client) -> bool | None:
    """Whether the host's NAT table masquerades the default bridge's subnet; None when the table
    cannot be read here (no iptables, not root)."""
    try:
        subnets = [c["Subnet"] for c in client.networks.get(BRIDGE).attrs["IPAM"]["Config"]
                   if "Subnet" in c]
    except Exception:  # noqa: BLE001 - no default bridge: nothing to masquerade
        return False
    iptables = shutil.which("iptables")
    if iptables is None:
        return None
    try:
        rules = subprocess.run([iptables, "-t", "nat", "-S", "POSTROUTING"], capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if rules.returncode != 0:
        return None
    return masquerades(rules.stdout, subnets)


def masquerades(rules: str, subnets: list[str]) -> bool:
    return any("MASQUERADE" in line and f"-s {subnet}" in line
               for line in rules.splitlines() for subnet in subnets)
