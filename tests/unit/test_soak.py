"""The soak's parts that need no engine (bench/soak.py): kernel cycles and the census against a
plain Jupyter server with local kernels, space app cycles against a stand-in SageMaker client and
front, the memory figure and its bound, the leak diff."""
import http.server
import json
import secrets
import subprocess
import sys
import threading

import pytest
import requests

from bench import soak
from studio_containers.ports import free_port
from studio_containers.wait import wait_until


@pytest.fixture
def jupyter_server(tmp_path):
    """A Jupyter server on 127.0.0.1 with local kernels: (its pid, URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}",
            "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.allow_root=True"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "c"),
           "JUPYTER_DATA_DIR": str(tmp_path / "d"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "r")}
    (tmp_path / "c").mkdir()       # the REST API and kernels only: no lab, terminals or LSP
    (tmp_path / "c" / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {
        "jpserver_extensions": {name: False for name in ("jupyterlab", "jupyter_lsp", "notebook_shim",
                                                         "jupyter_server_terminals")}}}))
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/api/status", params={"token": token}, timeout=2).ok,
                   timeout=60, what="the Jupyter server", retry_on=(requests.RequestException,))
        yield proc.pid, url, token
    finally:
        proc.terminate()
        proc.wait(30)


def test_kernel_cycles_run_1_plus_1_and_leave_no_kernel_or_process(jupyter_server):
    pid, url, token = jupyter_server

    def take():
        return soak.Census(processes=frozenset(soak._describe(p) for p in soak._processes([pid]).values()),
                           kernels=frozenset(soak._kernels("the server", url, token)))
    before = take()
    cycles = soak.kernel_cycles(url, token, 3)
    assert len(cycles) == 3
    assert all(set(c) == {"start", "execute", "shutdown", "total"} for c in cycles)
    assert all(c["total"] >= c["start"] + c["execute"] for c in cycles)
    assert soak.leaks(before, soak._settled(take, before)) == []

    headers = {"Authorization": f"token {token}"}
    left = requests.post(f"{url}/api/kernels", json={"name": "python3"}, headers=headers,
                         timeout=60).json()["id"]
    def both():
        found = soak.leaks(before, take())
        return len(found) == 2 and found
    try:       # a kernel left running is a leak twice: listed, and its process under the server
        found = wait_until(both, timeout=30, what="the kernel listed and its process running")
        assert any(line.startswith("kernel left in the server: " + left) for line in found)
        assert any(line.startswith("process left: ") and "ipykernel" in line for line in found)
    finally:
        requests.delete(f"{url}/api/kernels/{left}", headers=headers, timeout=60)


class _Front(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = self.path.startswith("/jupyterlab/default/api/status?token=tok")
        self.send_response(200 if status else 403)
        self.end_headers()

    def log_message(self, *args):
        pass


class _StandInSageMaker:
    """CreateApp starts a front; the app is InService, then Deleted, at the second DescribeApp."""

    def __init__(self, front_stops=True, fails=False):
        self.front_stops, self.fails = front_stops, fails
        self.status, self.calls, self.front = "Deleted", [], None

    def create_app(self, **app):
        self.calls.append(("CreateApp", app))
        self.status, self.described = "Pending", 0
        self.front = http.server.HTTPServer(("127.0.0.1", free_port()), _Front)
        threading.Thread(target=self.front.serve_forever, daemon=True).start()

    def describe_app(self, **app):
        self.described += 1
        if self.described >= 2 and self.status == "Pending":
            self.status = "Failed" if self.fails else "InService"
        elif self.described >= 2 and self.status == "Deleting":
            self.status = "Deleted"
            if self.front_stops:
                self.front.shutdown()
                self.front.server_close()
        return {"Status": self.status, "FailureReason": "it broke" if self.fails else None}

    def create_presigned_domain_url(self, **where):
        self.calls.append(("CreatePresignedDomainUrl", where))
        port = self.front.server_address[1]
        return {"AuthorizedUrl": f"http://127.0.0.1:{port}/jupyterlab/default/lab?token=tok"}

    def delete_app(self, **app):
        self.calls.append(("DeleteApp", app))
        self.status, self.described = "Deleting", 0


def test_space_app_cycles_create_read_status_through_the_front_and_delete():
    sm, found = _StandInSageMaker(), []
    cycles = soak.space_app_cycles(sm, "d-1", "work", 2, user="ana", image_arn="arn:image",
                                   leaks=found)
    assert len(cycles) == 2 and found == []
    assert all(set(c) == {"create", "status", "delete", "total"} for c in cycles)
    app = dict(DomainId="d-1", SpaceName="work", AppType="JupyterLab", AppName="default")
    assert sm.calls[:3] == [
        ("CreateApp", {**app, "ResourceSpec": {"SageMakerImageArn": "arn:image"}}),
        ("CreatePresignedDomainUrl", {"DomainId": "d-1", "UserProfileName": "ana", "SpaceName": "work"}),
        ("DeleteApp", app)]


def test_a_front_that_outlives_its_app_is_a_leak_and_a_failed_app_stops_the_soak():
    found = []
    sm = _StandInSageMaker(front_stops=False)
    soak.space_app_cycles(sm, "d-1", "work", 1, user="ana", image_arn="arn:image", leaks=found)
    assert len(found) == 1 and "still answers" in found[0]
    sm.front.shutdown()

    failing = _StandInSageMaker(fails=True)
    with pytest.raises(soak.SoakFailed, match="the app failed: it broke"):
        soak.space_app_cycles(failing, "d-1", "work", 1, user="ana", image_arn="arn:image")
    assert [c[0] for c in failing.calls] == ["CreateApp", "DeleteApp"]     # deleted, not left
    failing.front.shutdown()


class _Container:
    name = "gateway"

    def __init__(self, memory_stats):
        self.memory_stats = memory_stats

    def stats(self, stream):
        assert stream is False
        return {"memory_stats": self.memory_stats}


@pytest.mark.parametrize("inner", [{"inactive_file": 30 * soak.MIB},          # cgroup v2
                                   {"total_inactive_file": 30 * soak.MIB}])   # cgroup v1
def test_memory_is_counted_as_docker_stats_counts_it(inner):
    memory = soak.container_memory(_Container({"usage": 100 * soak.MIB, "stats": inner}))
    assert memory == soak.Memory(100 * soak.MIB, 70 * soak.MIB)


def test_no_memory_figure_is_said_not_taken_for_zero():
    with pytest.raises(soak.SoakFailed, match="no memory usage for gateway"):
        soak.container_memory(_Container({}))


def test_the_memory_bound_scales_with_the_cycles():
    assert soak.memory_bound(100) == 8 * soak.MIB + 100 * 220 * 1024      # 29.5 MiB
    assert soak.memory_bound(10) < soak.memory_bound(100) / 2
    assert soak.memory_bound(100) <= 30 * soak.MIB


def test_leaks_are_what_is_new_and_every_kernel_listed():
    before = soak.Census(frozenset({"gw"}), frozenset({"1 lab"}), frozenset({"7 gateway"}))
    after = soak.Census(frozenset({"gw", "app"}), frozenset({"1 lab", "2 kernel"}),
                        frozenset({"7 gateway", "9 ipykernel"}), frozenset({"the lab: k1 (python3)"}))
    assert soak.leaks(before, before) == []
    assert soak.leaks(before, after) == [
        "container left: app", "process left: 2 kernel",
        "process left in the gateway container: 9 ipykernel", "kernel left in the lab: k1 (python3)"]
