"""Which network a KernelGateway app's container gets, so that its kernels reach what the host
reaches, as Studio's kernels reach the internet in its default network mode.

On its default bridge a container reaches out only through the engine's NAT (the MASQUERADE
rule dockerd adds unless started with `--iptables=false`, as this tool starts it so that it
never changes the host's firewall). Without NAT, DNS fails after a 10 s wait and connections
hang. Host networking gives the kernels the host's own network instead; the gateway then listens
on 127.0.0.1 at its published port, behind its token, as it would be published on the bridge.
A remote engine's host network is not this machine's, so there the bridge is kept.
"""
import platform
import shutil
import subprocess
from dataclasses import dataclass

BRIDGE, HOST_NETWORK = "bridge", "host"
CHOICES = ("auto", BRIDGE, HOST_NETWORK)


@dataclass(frozen=True)
class AppNetwork:
    mode: str       # BRIDGE or HOST_NETWORK
    why: str        # said to the user when the app starts


def choose(setting: str, engine_is_local: bool, bridge_nat: bool | None) -> AppNetwork:
    """`bridge_nat`: whether the engine's bridge has NAT (None: could not be told)."""
    if setting == BRIDGE:
        return AppNetwork(BRIDGE, "local.network is bridge: kernels reach the network only if "
                                  "the engine gives its bridge NAT")
    if setting == HOST_NETWORK:
        return AppNetwork(HOST_NETWORK, "local.network is host: kernels use this machine's network")
    if not engine_is_local:
        return AppNetwork(BRIDGE, "the engine runs elsewhere: kernels reach the network through "
                                  "its bridge")
    if bridge_nat:
        return AppNetwork(BRIDGE, "kernels reach the network through the engine's NAT")
    if bridge_nat is None:
        return AppNetwork(BRIDGE, "could not tell whether the engine's bridge has NAT (reading "
                                  "the NAT table needs root), so kernels stay on the bridge; if "
                                  "they cannot reach the network, set local.network: host")
    return AppNetwork(HOST_NETWORK, "the engine's bridge has no NAT (dockerd --iptables=false), so "
                                    "kernels use this machine's network (host networking; the "
                                    "gateway listens on 127.0.0.1 only, behind its token)")


def app_network(client, setting: str) -> AppNetwork:
    if setting != "auto":
        return choose(setting, True, None)
    local = engine_is_local(client)
    return choose(setting, local, bridge_has_nat(client) if local else None)


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
