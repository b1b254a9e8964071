"""End to end: `invoke aws.start|status|env|stop` and `invoke push` as a user runs them."""
import pytest

from studio_containers.cli_process import Cli


@pytest.fixture
def invoke(tmp_path):
    cli = Cli(tmp_path / "state", aws_repository_prefix="e2e")
    yield cli
    cli("aws.stop", check=False)


def test_start_push_restart_and_stop(invoke):
    not_running = invoke("aws.env", check=False)
    assert not_running.returncode == 1 and "not running" in not_running.stderr
    assert "Traceback" not in not_running.stderr

    assert "Local AWS ready" in invoke("aws.start").stdout
    assert "already running" in invoke("aws.start").stdout
    status = invoke("aws.status").stdout
    assert "server    running" in status and "registry  running" in status
    endpoint, session = invoke.aws_session()
    sm = session.client("sagemaker", endpoint_url=endpoint)
    sm.create_image(ImageName="e2e-image", RoleArn="arn:aws:iam::123456789012:role/e2e-role")

    pushed = invoke("push", "--image", "python-basic", "--create-repository").stdout
    assert "Pushed python-basic" in pushed
    assert "Nothing to push" in invoke("push", "--image", "python-basic").stdout

    assert "state kept" in invoke("aws.stop").stdout
    assert "stopped" in invoke("aws.status").stdout
    # push starts the local AWS on demand; everything made before is still there.
    assert "already in ECR" in invoke("push", "--image", "python-basic").stdout
    endpoint, session = invoke.aws_session()
    assert session.client("sagemaker", endpoint_url=endpoint).describe_image(
        ImageName="e2e-image")["ImageStatus"] == "CREATED"
    images = session.client("ecr", endpoint_url=endpoint).describe_images(
        repositoryName="e2e/python-basic")
    assert len(images["imageDetails"]) == 1
