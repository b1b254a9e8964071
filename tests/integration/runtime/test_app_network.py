"""Kernels reach the network the host reaches, on an engine without NAT too (host networking),
and the gateway stays on 127.0.0.1 behind its token there.

The package index is the one outside target allowed here: the kernel downloads a small package
from it with pip, as a user trying a package before baking it into the image would."""
import secrets
import subprocess
from pathlib import Path

import pytest
import requests

from studio_containers.ports import free_port
from studio_containers.runtime.gateway import gateway_container, prepare_home, remove, start_gateway
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.network import BRIDGE, HOST_NETWORK, app_network, bridge_has_nat
from studio_containers.spec import load_spec
from tests.helpers import PIP_DOWNLOAD


@pytest.fixture
def host_gateway(workspace, runtime, settings, tmp_path, python_basic):
    spec = load_spec(settings.images_dir / "python-basic")
    token = secrets.token_urlsafe(16)
    gc = gateway_container(spec, python_basic.ref, runtime, prepare_home(tmp_path / "home", spec),
                           token, free_port(), settings.state_dir, network=HOST_NETWORK,
                           name=f"studio-containers-test-net-{secrets.token_hex(4)}")
    container = start_gateway(workspace.client, gc, spec, settings.ready_timeout)
    yield gc, token
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


def test_auto_takes_the_hosts_network_when_the_engine_has_no_nat(workspace):
    args = _local_dockerd_args()
    without_nat = args is not None and "--iptables=false" in args   # how `./inv` starts it
    assert bridge_has_nat(workspace.client) is (False if without_nat else True)
    assert app_network(workspace.client, "auto").mode == (HOST_NETWORK if without_nat else BRIDGE)


def test_a_kernel_downloads_a_package_from_the_package_index(host_gateway):
    gc, token = host_gateway
    code, files, *_ = execute(gc.url, token, "python3", PIP_DOWNLOAD, timeout=180).split(maxsplit=2)
    assert code == "0" and "six-" in files, files


def test_on_the_hosts_network_the_gateway_listens_on_loopback_only_behind_its_token(host_gateway):
    gc, token = host_gateway
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{gc.host_port}"], capture_output=True,
                               text=True, check=True).stdout.split()
    assert f"127.0.0.1:{gc.host_port}" in listening
    assert not [a for a in listening if a.endswith(f":{gc.host_port}") and
                not a.startswith("127.0.0.1:")], listening
    assert requests.get(f"{gc.url}/api/kernelspecs", timeout=5).status_code in (401, 403)
    assert requests.get(f"{gc.url}/api/kernelspecs", timeout=5,
                        headers={"Authorization": f"token {token}"}).status_code == 200
