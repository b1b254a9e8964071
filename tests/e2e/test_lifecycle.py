"""End to end: `invoke local --lifecycle NAME`, as Studio runs a lifecycle configuration when an
app starts. The shipped install-package script installs a package that a kernel of the started
JupyterLab space then imports; a failing script fails the start with its last lines and the
log's path, leaving nothing running."""
import subprocess

import docker

from studio_containers.cli_process import LocalRun, invoke_argv
from studio_containers.ports import free_port
from studio_containers.runtime.gateway import local_containers
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.space import space_containers


def test_the_shipped_script_installs_a_package_a_kernel_imports(local_env, first_start_timeout,
                                                                 tmp_path):
    run = LocalRun(local_env, "--image", "jupyterlab-python", "--lifecycle", "install-package",
                   "--port", str(free_port()))
    try:
        _, front, token = run.wait_for_url(first_start_timeout)
        said = "".join(run.output)
        log = tmp_path / "state" / "lifecycle" / "jupyterlab-python-install-package.log"
        assert f"log: {log}" in said and "Lifecycle: install-package finished" in said
        assert "tabulate installed for sagemaker-user" in log.read_text()
        version = execute(f"{front}/jupyterlab/default", token, "python3",
                          "import tabulate; print(tabulate.__version__)", timeout=120)
        assert version.strip() == "0.9.0"
        assert run.interrupt() == 0
    finally:
        run.kill()


def test_a_failing_script_fails_the_start_with_its_last_lines(local_env, tmp_path):
    scripts = tmp_path / "lifecycle"
    scripts.mkdir()
    (scripts / "proxy-setup.sh").write_text("#!/bin/bash\necho configuring\n"
                                            "echo 'proxy.example: unreachable' >&2\nexit 2\n")
    (scripts / "proxy-setup.yaml").write_text("app_types: [KernelGateway]\n")
    done = subprocess.run(invoke_argv("local", "--image", "python-basic", "--lifecycle",
                                      "proxy-setup", "--port", str(free_port())),
                          env=dict(local_env, INVOKE_LIFECYCLE_DIR=str(scripts)),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    log = tmp_path / "state" / "lifecycle" / "python-basic-proxy-setup.log"
    assert error == (f"error: python-basic: lifecycle script proxy-setup exited with code 2, so "
                     f"the app's start fails, as in Studio (its last lines are above; log: {log})")
    assert "  | configuring\n  | proxy.example: unreachable" in done.stderr
    client = docker.from_env()
    assert local_containers(client, tmp_path / "state") == []
    assert space_containers(client, tmp_path / "state") == []
