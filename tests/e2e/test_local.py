"""End to end: `invoke local` as a user runs it, for every shipped image, driven through
JupyterLab's REST API and kernel websocket."""
import os
import signal
import subprocess
from pathlib import Path

import docker
import pytest
import requests

from studio_containers.cli_process import LocalRun, invoke_argv
from studio_containers.ports import free_port
from studio_containers.runtime.gateway import local_containers
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.lab import labs_of
from studio_containers.runtime.space import space_containers
from studio_containers.spec import load_spec
from studio_containers.studio import JUPYTER_LAB
from studio_containers.validate.kernel_checks import PROBES
from tests.helpers import PIP_DOWNLOAD, project_settings, shipped_images, write_image
from tests.security import files_holding, listeners, not_loopback
from tests.space_apps import process_ids, ready_path

PYTHON_UID = "import os; print(os.getuid())"


@pytest.fixture
def client():
    return docker.from_env()


def alive(pid: int) -> bool:
    """Running: a process that exited but is not reaped yet (a zombie, state Z) is not."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("image", shipped_images("kernel-gateway"))
def test_local_serves_the_image_kernel_through_jupyterlab_and_ctrl_c_cleans_up(
        image, local_env, first_start_timeout, tmp_path, client):
    spec = load_spec(project_settings().images_dir / image)
    listening_before = listeners()
    run = LocalRun(local_env, "--image", image, "--port", str(free_port()))
    try:
        url, base, token = run.wait_for_url(first_start_timeout)
        assert not_loopback(listeners() - listening_before) == set()    # lab and gateway
        assert requests.get(url, timeout=10).status_code == 200
        assert requests.get(f"{base}/api/kernelspecs", timeout=10).status_code in (401, 403)
        specs = requests.get(f"{base}/api/kernelspecs", headers={"Authorization": f"token {token}"},
                             timeout=30).json()
        assert sorted(specs["kernelspecs"]) == sorted(spec.kernel_names)
        for kernel, body in specs["kernelspecs"].items():    # Python or R, each in its language
            probe = PROBES[body["spec"]["language"].lower()]
            assert execute(base, token, kernel, probe).split()[:2] == [str(spec.uid), str(spec.gid)]
        assert len(local_containers(client, tmp_path / "state")) == 1
        lab_pid = run.record()["lab_pid"]
        assert alive(lab_pid)

        second = subprocess.run(invoke_argv("local", "--image", image, "--port", str(free_port())),
                                env=local_env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "is already running" in second.stderr and "Traceback" not in second.stderr

        assert run.interrupt() == 0
    finally:
        run.kill()
    assert local_containers(client, tmp_path / "state") == []
    assert not alive(lab_pid)
    assert "Stopped" in "".join(run.output)
    # The lab's token is in its 0600 config file only: not in its log or any other state file.
    state = tmp_path / "state"
    allowed = set(state.rglob("jupyter_server_config.py"))
    assert [p for p in allowed if p.stat().st_mode & 0o077] == []      # private
    holding = files_holding(state, [token], allowed)
    assert holding == [], "\n".join(holding)


def test_a_notebook_under_local_downloads_a_package(local_env, first_start_timeout):
    run = LocalRun(local_env, "--image", "python-basic", "--port", str(free_port()))
    try:
        _, base, token = run.wait_for_url(first_start_timeout)
        said = [line for line in run.output if "Network:" in line]
        assert said, "".join(run.output)           # which network the kernels got is said
        code, files, *_ = execute(base, token, "python3", PIP_DOWNLOAD, timeout=180).split(maxsplit=2)
        assert code == "0" and "six-" in files, files
        assert run.interrupt() == 0
    finally:
        run.kill()


@pytest.mark.parametrize("image", shipped_images("kernel-gateway")[:1] + shipped_images("space")[:1])
def test_local_stop_from_another_shell(image, local_env, first_start_timeout, tmp_path, client):
    run = LocalRun(local_env, "--image", image, "--port", str(free_port()))
    try:
        run.wait_for_url(first_start_timeout)
        lab_pid = run.record().get("lab_pid")      # KernelGateway sessions only
        stop = subprocess.run(invoke_argv("local", "--stop"), env=local_env, capture_output=True,
                              text=True, timeout=90)
        assert stop.returncode == 0 and "Stopped the running" in stop.stdout
        assert run.proc.wait(30) == 0
    finally:
        run.kill()
    assert local_containers(client, tmp_path / "state") == []
    assert space_containers(client, tmp_path / "state") == []
    assert lab_pid is None or not alive(lab_pid)


@pytest.mark.parametrize("image", shipped_images("space"))
def test_local_serves_a_space_behind_its_token_and_ctrl_c_cleans_up(image, local_env,
                                                                    first_start_timeout, tmp_path):
    spec = load_spec(project_settings().images_dir / image)
    listening_before = listeners()
    run = LocalRun(local_env, "--image", image, "--port", str(free_port()))
    try:
        url, front, token = run.wait_for_url(first_start_timeout)
        assert not_loopback(listeners() - listening_before) == set()    # front and container
        base = f"{front}{spec.base_path}"
        assert url.startswith(base) and url.endswith(f"?token={token}")
        assert requests.get(url, timeout=30).status_code == 200
        ready = f"{base}{ready_path(spec.app_type)}"
        assert requests.get(ready, timeout=10).status_code == 403
        assert requests.get(ready, params={"token": token}, timeout=10).status_code == 200
        [container] = space_containers(docker.from_env(), tmp_path / "state")
        assert process_ids(container) == {("1000", "100")}
        if spec.app_type == JUPYTER_LAB:      # a kernel started through the printed URL
            assert execute(base, token, "python3", PYTHON_UID).strip() == "1000"
        assert run.interrupt() == 0
    finally:
        run.kill()
    assert space_containers(docker.from_env(), tmp_path / "state") == []
    with pytest.raises(requests.ConnectionError):      # the front is gone with the session
        requests.get(f"{base}/api/status", timeout=5)


def test_a_session_killed_with_sigkill_is_swept_by_the_next_one_and_by_stop(
        local_env, first_start_timeout, tmp_path, client):
    """A closed terminal or the OOM killer: `invoke local` dies without cleaning up, its lab and
    container stay. The next session on the same port sweeps them first; so does `--stop`."""
    port = free_port()
    first = LocalRun(local_env, "--image", "python-basic", "--port", str(port))
    try:
        first.wait_for_url(first_start_timeout)
        orphan_lab = first.record()["lab_pid"]
        os.kill(first.proc.pid, signal.SIGKILL)         # only invoke: its lab has its own session
        first.proc.wait(30)
    finally:
        first.kill()
    assert alive(orphan_lab) and len(local_containers(client, tmp_path / "state")) == 1

    second = LocalRun(local_env, "--image", "python-basic", "--port", str(port))
    try:
        url, _, _ = second.wait_for_url(first_start_timeout)
        assert f"Stopping a JupyterLab a killed `invoke local` left (pid {orphan_lab})" in \
            "".join(second.output)
        assert not alive(orphan_lab)
        assert requests.get(url, timeout=30).status_code == 200
        second_lab = second.record()["lab_pid"]
        os.kill(second.proc.pid, signal.SIGKILL)
        second.proc.wait(30)
        stop = subprocess.run(invoke_argv("local", "--stop"), env=local_env, capture_output=True,
                              text=True, timeout=120)
        assert stop.returncode == 0 and "Traceback" not in stop.stderr, stop.stderr
        assert "Stopping a JupyterLab a killed" in stop.stdout
    finally:
        second.kill()
    assert not alive(second_lab)
    assert local_containers(client, tmp_path / "state") == []


@pytest.mark.parametrize("image", ["python-basic", "jupyterlab-python"])
def test_a_container_killed_under_a_session_is_said_and_the_session_cleans_up(
        image, local_env, first_start_timeout, tmp_path, client):
    """The OOM killer takes the gateway or space container: `invoke local` notices within its
    poll, says which container stopped and how, exits non-zero and leaves nothing running."""
    run = LocalRun(local_env, "--image", image, "--port", str(free_port()))
    try:
        run.wait_for_url(first_start_timeout)
        lab = run.record().get("lab_pid")
        client.containers.get(run.record()["container"]).kill()
        code = run.proc.wait(60)
    finally:
        run.kill()
    out = "".join(run.output)
    assert code == 1, out
    assert "stopped unexpectedly (status exited)" in out and "Traceback" not in out, out
    assert "Stopped: nothing of this session is left running" in out
    assert lab is None or not alive(lab)
    state = tmp_path / "state"
    assert local_containers(client, state) + space_containers(client, state) == []


def test_an_image_failing_validation_leaves_neither_lab_nor_container(local_env, tmp_path, client):
    """JupyterLab starts before the image is checked (it boots meanwhile): an image that fails
    validation ends the session with one line, and the lab that was booting goes with it."""
    images = tmp_path / "images"
    write_image(images / "no-python", "FROM scratch\nCOPY image.yaml /image.yaml\n",
                "name: no-python\ndisplay_name: No Python\nkernels: [{name: python3, display_name: P}]\n")
    done = subprocess.run(invoke_argv("local", "--image", "no-python", "--port", str(free_port())),
                          capture_output=True, text=True, timeout=600,
                          env=dict(local_env, INVOKE_IMAGES_DIR=str(images)))
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "validation failed for no-python" in errors[0], done.stderr
    assert "--skip-validation" in errors[0] and "Traceback" not in done.stderr
    state = tmp_path / "state"
    assert labs_of(state / "local") == []
    assert local_containers(client, state) == []
