"""Apps reach the network the host reaches, on an engine without NAT too (user-mode NAT, or host
networking for a gateway), their ports on 127.0.0.1 only behind their token; with outbound access
off (VpcOnly) a connection out fails at once.

The package index is the one outside target allowed here: the app downloads a small package
from it with pip, as a user trying a package before baking it into the image would."""
import json
import os
import secrets
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from studio_containers.ports import free_port
from studio_containers.runtime import user_nat
from studio_containers.runtime.container import remove
from studio_containers.runtime.front import TokenFront
from studio_containers.runtime.gateway import gateway_container, start_gateway
from studio_containers.runtime.home import prepare_home
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.network import (
    BRIDGE,
    USER_NAT,
    app_network,
    bridge_has_nat,
)
from studio_containers.runtime.space import space_container, start_space
from studio_containers.spec import load_spec
from tests.helpers import NETWORKS, PIP_DOWNLOAD, shipped_images

# What connections from the app's network do: for each (host, port), how it failed, if it did,
# and how long it took; and whether a name resolves. 192.0.2.1 is a documentation address: with
# outbound access off nothing leaves the container's namespace to reach it.
CONNECT_OUT = """
import json, socket, time
def attempt(host, port):
    started = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=30).close()
        error = None
    except OSError as exc:
        error = str(exc)
    return {"error": error, "seconds": time.monotonic() - started}
try:
    resolved = bool(socket.gethostbyname("pypi.org"))
except OSError:
    resolved = False
print(json.dumps({"out": attempt("192.0.2.1", 443), "other_port": attempt("10.0.2.2", OTHER_PORT),
                  "resolved": resolved}))
"""


@pytest.fixture
def gateway_on(workspace, runtime, settings, tmp_path, python_basic):
    """Starts python-basic's gateway on a network of NETWORKS: (GatewayContainer, token, container)."""
    started = []

    def start(network: str):
        spec = load_spec(settings.images_dir / "python-basic")
        token = secrets.token_urlsafe(16)
        gc = gateway_container(spec, python_basic.ref, runtime, prepare_home(tmp_path / "home", spec),
                               token, free_port(), settings.state_dir, network=NETWORKS[network],
                               name=f"studio-containers-test-net-{secrets.token_hex(4)}")
        started.append(start_gateway(workspace.client, gc, spec, settings.ready_timeout))
        return gc, token, started[-1]
    yield start
    for container in started:
        remove(container)


def _local_dockerd_args() -> list[str] | None:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if args and Path(args[0]).name == "dockerd":
            return args
    return None


def test_auto_gives_user_mode_nat_on_this_engine(workspace):
    args = _local_dockerd_args()
    without_nat = args is not None and "--iptables=false" in args   # how `./inv` starts it
    if os.geteuid() == 0:       # only root reads the NAT table
        assert bridge_has_nat(workspace.client) is (False if without_nat else True)
    # As root, user-mode NAT whatever the engine's NAT (the bridge has no way to the local AWS);
    # otherwise the bridge (the NAT table cannot be read, nor a container's namespace joined).
    expected = USER_NAT if os.geteuid() == 0 else BRIDGE
    assert app_network(workspace.client, "auto").mode == expected
    assert app_network(workspace.client, "auto", space=True).mode == expected


@pytest.mark.parametrize("network", ["host", "user-nat"])
def test_a_kernel_downloads_a_package_from_the_package_index(gateway_on, network):
    gc, token, _ = gateway_on(network)
    code, files, *_ = execute(gc.url, token, "python3", PIP_DOWNLOAD, timeout=180).split(maxsplit=2)
    assert code == "0" and "six-" in files, files


@pytest.mark.parametrize("network", ["host", "user-nat"])
def test_the_gateway_listens_on_loopback_only_behind_its_token(gateway_on, network):
    gc, token, _ = gateway_on(network)
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{gc.host_port}"], capture_output=True,
                               text=True, check=True).stdout.split()
    assert f"127.0.0.1:{gc.host_port}" in listening
    assert not [a for a in listening if a.endswith(f":{gc.host_port}") and
                not a.startswith("127.0.0.1:")], listening
    assert requests.get(f"{gc.url}/api/kernelspecs", timeout=5).status_code in (401, 403)
    assert requests.get(f"{gc.url}/api/kernelspecs", timeout=5,
                        headers={"Authorization": f"token {token}"}).status_code == 200


def test_with_outbound_access_off_a_connection_out_fails_at_once(gateway_on):
    gc, token, _ = gateway_on("vpc-only")
    # A port this machine listens on, but not the local AWS's: out of reach too.
    with socket.create_server(("127.0.0.1", 0)) as listening:
        code = CONNECT_OUT.replace("OTHER_PORT", str(listening.getsockname()[1]))
        seen = json.loads(execute(gc.url, token, "python3", code, timeout=60).strip())
    for attempt in (seen["out"], seen["other_port"]):
        assert attempt["error"] and "unreachable" in attempt["error"].lower(), seen
        assert attempt["seconds"] < 5, seen
    assert seen["resolved"], seen       # names resolve, as in a VPC
    code, files, errors = execute(gc.url, token, "python3", PIP_DOWNLOAD.replace(
        "'download', ", "'download', '--retries', '0', "), timeout=60).split(maxsplit=2)
    assert code != "0" and files == "[]", errors


def test_the_nat_of_a_container_goes_with_it(gateway_on, workspace):
    gc, _, container = gateway_on("user-nat")
    assert [s for _, s, _ in user_nat._running() if s == str(gc.nat.socket)]
    remove(container)
    assert not [s for _, s, _ in user_nat._running() if s == str(gc.nat.socket)]
    # One whose container went by other means (docker rm) is reaped at the next attach.
    gc, _, container = gateway_on("user-nat")
    container.remove(force=True)
    user_nat.reap()
    assert not [s for _, s, _ in user_nat._running() if s == str(gc.nat.socket)]


@pytest.mark.parametrize("space", shipped_images(app_type="JupyterLab"), indirect=True)
def test_a_space_under_user_mode_nat_serves_on_loopback_and_downloads_a_package(
        space, workspace, settings, tmp_path):
    sc = space_container(space.spec, space.ref, prepare_home(tmp_path / "home", space.spec),
                         free_port(), settings.state_dir, settings.aws_region,
                         name=f"studio-containers-test-{secrets.token_hex(4)}",
                         network=NETWORKS["user-nat"])
    container, base_path = start_space(workspace.client, sc, space.spec, timeout=120)
    front = TokenFront(free_port(), secrets.token_urlsafe(16), sc.host_port).start()
    try:
        listening = subprocess.run(["ss", "-Hltn", f"sport = :{sc.host_port}"], capture_output=True,
                                   text=True, check=True).stdout.split()
        assert f"127.0.0.1:{sc.host_port}" in listening
        out = execute(f"{front.url}{base_path}", front.token, "python3", PIP_DOWNLOAD, timeout=180)
        code, files, *_ = out.split(maxsplit=2)
        assert code == "0" and "six-" in files, out
    finally:
        front.stop()
        remove(container)
