"""End to end: lifecycle configurations. `invoke local --lifecycle NAME` runs one as Studio does
when an app starts: the shipped install-package script installs a package that a kernel of the
started JupyterLab space then imports. A failing script is caught by the validation before the
start; run anyway, it fails the start with its last lines and the log's path, leaving nothing
running. `up` deploys a script and attaches it as the domain's default, CreateApp (through
`invoke studio`) runs it and fails the app with its reason, and `down` deletes it."""
import shutil
import subprocess

import docker

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import Cli, LocalRun, invoke_argv
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


def test_a_failing_script_is_caught_by_validation_and_run_anyway_fails_the_start(local_env,
                                                                                tmp_path):
    scripts = tmp_path / "lifecycle"
    scripts.mkdir()
    (scripts / "proxy-setup.sh").write_text("#!/bin/bash\necho configuring\n"
                                            "echo 'proxy.example: unreachable' >&2\nexit 2\n")
    (scripts / "proxy-setup.yaml").write_text("app_types: [KernelGateway]\n")
    env = dict(local_env, INVOKE_LIFECYCLE_DIR=str(scripts))
    argv = invoke_argv("local", "--image", "python-basic", "--lifecycle", "proxy-setup", "--port",
                       str(free_port()))
    checked = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert "error: validation failed for python-basic (class 11;" in checked.stderr
    assert ("FAIL python-basic: class 11 (lifecycle script fails, or runs too long, at the app's "
            "start): lifecycle script proxy-setup exited with code 2 after") in checked.stdout
    assert "its last lines: configuring | proxy.example: unreachable" in checked.stdout

    done = subprocess.run([*argv, "--skip-validation"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    log = tmp_path / "state" / "lifecycle" / "python-basic-proxy-setup.log"
    assert error == (f"error: python-basic: lifecycle script proxy-setup exited with code 2, so "
                     f"the app's start fails, as in Studio (its last lines are above; log: {log})")
    assert "  | configuring\n  | proxy.example: unreachable" in done.stderr
    client = docker.from_env()
    assert local_containers(client, tmp_path / "state") == []
    assert space_containers(client, tmp_path / "state") == []


def test_up_attaches_a_default_createapp_runs_it_a_failure_fails_the_app_and_down_deletes_it(
        tmp_path):
    shutil.copytree(PROJECT_ROOT / "images" / "python-basic", tmp_path / "images" / "python-basic")
    scripts = tmp_path / "lifecycle"
    scripts.mkdir()
    (scripts / "team-setup.sh").write_text("#!/bin/bash\necho 'fetching the team settings'\n"
                                           "echo 'settings.example: unreachable'\nexit 3\n")
    (scripts / "team-setup.yaml").write_text("app_types: [KernelGateway]\ndefault: true\n")
    cli = Cli(tmp_path / "state", images_dir=tmp_path / "images", lifecycle_dir=scripts,
              aws_repository_prefix="e2e-lifecycle")
    try:
        # The validation would stop the deploy (class 11): deployed anyway, as a user can.
        up = cli("up", "--skip-validation", timeout=900).stdout
        assert "Lifecycle: creating the KernelGateway lifecycle config team-setup-" in up
        assert "custom images and lifecycle configs updated (other teams' kept)" in up
        status = cli("status").stdout
        [row] = [line for line in status.splitlines() if line.startswith("team-setup ")]
        assert "at every start" in row and row.rstrip().endswith("up to date")

        started = cli("studio", check=False, timeout=900)
        assert started.returncode == 1 and "Traceback" not in started.stderr
        assert ("KernelGateway python-basic: Failed: LifecycleConfigFailure: lifecycle script "
                "team-setup-" in started.stderr)
        assert ("exited with code 3; its last line: settings.example: unreachable"
                in started.stderr)
        endpoint, session = cli.aws_session()
        sm = session.client("sagemaker", endpoint_url=endpoint)
        [config] = sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"]
        domain_id = sm.list_domains()["Domains"][0]["DomainId"]
        kg = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"][
            "KernelGatewayAppSettings"]
        assert kg["DefaultResourceSpec"]["LifecycleConfigArn"] == \
            config["StudioLifecycleConfigArn"]
        cli("studio", "--stop", timeout=300)

        down = cli("down", timeout=600).stdout
        assert f"Lifecycle: deleted the lifecycle config {config['StudioLifecycleConfigName']}" \
            in down
        assert sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"] == []
        kg = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"][
            "KernelGatewayAppSettings"]
        assert kg.get("LifecycleConfigArns") == [] and kg["DefaultResourceSpec"] == {}
    finally:
        cli("studio", "--stop", check=False, timeout=300)
        cli("down", check=False, timeout=600)
        cli("aws.stop", check=False)
