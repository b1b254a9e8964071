"""End to end: `invoke new` as a user runs it. A new folder of each app type serves under
`invoke local` as it stands: a KernelGateway image's kernel and a JupyterLab space's kernel run
code as 1000/100, and a Code Editor space serves VS Code behind the token with Python there as
1000/100. A second `new` of the same name changes nothing."""
import subprocess

import docker
import pytest
import requests

from studio_containers.cli_process import LocalRun, invoke_argv
from studio_containers.image_folder import NEW_APP_TYPES
from studio_containers.ports import free_port
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.space import space_containers
from studio_containers.spec import load_spec
from tests.space_apps import ready_path

IDS = "import os; print(os.getuid(), os.getgid())"


@pytest.mark.parametrize("app_type", NEW_APP_TYPES)
def test_a_new_folder_serves_under_local_as_it_stands(app_type, local_env, first_start_timeout,
                                                      tmp_path):
    images = tmp_path / "images"
    env = dict(local_env, INVOKE_IMAGES_DIR=str(images))
    name = f"new-{app_type.lower()}"
    made = subprocess.run(invoke_argv("new", name, "--app-type", app_type), env=env,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert f"Next: ./inv local --image {name}" in made.stdout
    spec = load_spec(images / name)
    before = {p.name: p.read_bytes() for p in (images / name).iterdir()}

    again = subprocess.run(invoke_argv("new", name, "--app-type", app_type), env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert {p.name: p.read_bytes() for p in (images / name).iterdir()} == before

    run = LocalRun(env, "--image", name, "--port", str(free_port()))
    try:
        url, front, token = run.wait_for_url(first_start_timeout)
        if not spec.is_space:
            assert execute(front, token, "python3", IDS).split() == ["1000", "100"]
        else:
            base = f"{front}{spec.base_path}"
            assert requests.get(f"{base}{ready_path(app_type)}", timeout=10).status_code == 403
            assert requests.get(url, timeout=30).status_code == 200
            [container] = space_containers(docker.from_env(), tmp_path / "state")
            if spec.app_type == "JupyterLab":
                assert execute(base, token, "python3", IDS).split() == ["1000", "100"]
            else:       # Code Editor's terminal: Python in the space, as the space's user
                ran = container.exec_run(["python3", "-c", IDS])
                assert ran.exit_code == 0 and ran.output.decode().split() == ["1000", "100"]
        assert run.interrupt() == 0
    finally:
        run.kill()
