"""End to end: `invoke local` as a user runs it, driven through JupyterLab's REST API and websocket."""
import os
import subprocess
import sys

import docker
import pytest
import requests

from studio_containers import PROJECT_ROOT
from studio_containers.runtime.gateway import local_containers
from studio_containers.ports import free_port
from tests.helpers import LocalRun, execute

pytestmark = pytest.mark.engine
FIRST_START_TIMEOUT = 600  # a fresh machine builds the base, the runtime and the image first


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, INVOKE_STATE_DIR=str(tmp_path / "state"),
                INVOKE_LOCAL_HOME_DIR=str(tmp_path / "home"))


@pytest.fixture
def client():
    return docker.from_env()


def lab_pids() -> set[int]:
    out = subprocess.run(["pgrep", "-f", r"from jupyterlab\.labapp import main"], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def test_local_serves_the_image_kernel_through_jupyterlab_and_ctrl_c_cleans_up(env, tmp_path, client):
    before = lab_pids()
    run = LocalRun(env, "--image", "python-basic", "--port", str(free_port()))
    try:
        url, base, token = run.wait_for_url(FIRST_START_TIMEOUT)
        assert requests.get(url, timeout=10).status_code == 200
        assert requests.get(f"{base}/api/kernelspecs", timeout=10).status_code in (401, 403)
        specs = requests.get(f"{base}/api/kernelspecs", headers={"Authorization": f"token {token}"},
                             timeout=30).json()
        assert sorted(specs["kernelspecs"]) == ["python3"]
        assert execute(base, token, "python3", "import os; print(os.getuid())").strip() == "1000"
        assert len(local_containers(client, tmp_path / "state")) == 1
        new_labs = lab_pids() - before
        assert new_labs

        second = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT),
                                 "local", "--image", "python-basic", "--port", str(free_port())],
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "is already running" in second.stderr and "Traceback" not in second.stderr

        assert run.interrupt() == 0
    finally:
        run.kill()
    assert local_containers(client, tmp_path / "state") == []
    assert not (new_labs & lab_pids())
    assert "Stopped" in "".join(run.output)


def test_local_stop_from_another_shell(env, tmp_path, client):
    run = LocalRun(env, "--image", "python-basic", "--port", str(free_port()))
    try:
        run.wait_for_url(FIRST_START_TIMEOUT)
        stop = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT),
                               "local", "--stop"], env=env, capture_output=True, text=True, timeout=90)
        assert stop.returncode == 0 and "Stopped the running" in stop.stdout
        assert run.proc.wait(30) == 0
    finally:
        run.kill()
    assert local_containers(client, tmp_path / "state") == []
