"""End to end: `invoke aws.start|status|env|stop` and `invoke push` as a user runs them."""
import os
import subprocess
import sys

import boto3
import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.ports import free_port

pytestmark = pytest.mark.engine


@pytest.fixture
def invoke(tmp_path):
    env = dict(os.environ, INVOKE_STATE_DIR=str(tmp_path / "state"),
               INVOKE_AWS_PORT=str(free_port()), INVOKE_AWS_REGISTRY_PORT=str(free_port()),
               INVOKE_AWS_REPOSITORY_PREFIX="e2e")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT),
                               *args], env=env, capture_output=True, text=True, timeout=900)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done
    yield run
    run("aws.stop", check=False)


def _session(exports: str) -> boto3.session.Session:
    values = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    assert set(values) >= {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    os.environ["AWS_ENDPOINT_URL"] = values["AWS_ENDPOINT_URL"]  # as `eval` in a shell would
    return boto3.session.Session(aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
                                 aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
                                 region_name=values["AWS_REGION"])


def test_start_push_restart_and_stop(invoke, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    not_running = invoke("aws.env", check=False)
    assert not_running.returncode == 1 and "not running" in not_running.stderr
    assert "Traceback" not in not_running.stderr

    assert "Local AWS ready" in invoke("aws.start").stdout
    assert "already running" in invoke("aws.start").stdout
    status = invoke("aws.status").stdout
    assert "server    running" in status and "registry  running" in status
    sm = _session(invoke("aws.env").stdout).client("sagemaker")
    sm.create_image(ImageName="e2e-image", RoleArn="arn:aws:iam::123456789012:role/e2e-role")

    pushed = invoke("push", "--image", "python-basic", "--create-repository").stdout
    assert "Pushed python-basic" in pushed
    assert "Nothing to push" in invoke("push", "--image", "python-basic").stdout

    assert "state kept" in invoke("aws.stop").stdout
    assert "stopped" in invoke("aws.status").stdout
    # push starts the local AWS on demand; everything made before is still there.
    assert "already in ECR" in invoke("push", "--image", "python-basic").stdout
    session = _session(invoke("aws.env").stdout)
    assert session.client("sagemaker").describe_image(ImageName="e2e-image")["ImageStatus"] == \
        "CREATED"
    images = session.client("ecr").describe_images(repositoryName="e2e/python-basic")
    assert len(images["imageDetails"]) == 1
