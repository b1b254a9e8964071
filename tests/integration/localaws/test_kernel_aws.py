"""boto3 in a kernel works unchanged against the local AWS, as the app's execution role, through
the container credentials endpoint; the host's own AWS keys never reach the container."""
import json
import secrets

import pytest

from studio_containers.localaws.app_credentials import (
    LOCAL_EXECUTION_ROLE,
    assume_role_through,
    local_execution_role,
    running_local_aws,
)
from studio_containers.ports import free_port
from studio_containers.runtime.credentials_endpoint import CredentialsEndpoint, CredentialsIssuer
from studio_containers.runtime.gateway import gateway_container, prepare_home, remove, start_gateway
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.network import HOST_NETWORK
from studio_containers.spec import load_spec

IN_THE_KERNEL = """
import json, os, boto3
print(json.dumps({
    "arn": boto3.client("sts").get_caller_identity()["Arn"],
    "images": [i["ImageName"] for i in boto3.client("sagemaker").list_images()["Images"]],
    "variables": sorted(k for k in os.environ if k.startswith("AWS_")),
    "aws_folder": os.path.exists(os.path.expanduser("~/.aws")),
}))
"""
HOST_KEY = "AKIAHOSTKEYNOTFORAPPS"


@pytest.fixture
def kernel_with_aws(aws, workspace, runtime, python_basic, tmp_path, monkeypatch):
    local, endpoint = aws
    # The user's own keys in the shell that runs the tool: they must not reach the app.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", HOST_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    settings = local.settings
    reach = running_local_aws(settings)
    server = CredentialsEndpoint(CredentialsIssuer(assume_role_through(reach), endpoint.url,
                                                   settings.aws_region)).start()
    spec = load_spec(settings.images_dir / "python-basic")
    token = secrets.token_urlsafe(16)
    gc = gateway_container(spec, python_basic.ref, runtime, prepare_home(tmp_path / "home", spec),
                           token, free_port(), settings.state_dir, network=HOST_NETWORK,
                           name=f"studio-containers-test-aws-{secrets.token_hex(4)}",
                           aws=server.add(local_execution_role(reach)))
    container = start_gateway(workspace.client, gc, spec, settings.ready_timeout)
    try:
        yield gc, token, container, endpoint
    finally:
        remove(container)
        server.stop()


def test_boto3_in_a_kernel_calls_the_local_aws_as_the_execution_role(kernel_with_aws):
    gc, token, container, endpoint = kernel_with_aws
    endpoint.client("sagemaker").create_image(
        ImageName="seen-from-a-kernel", RoleArn="arn:aws:iam::123456789012:role/any")
    seen = json.loads(execute(gc.url, token, "python3", IN_THE_KERNEL, timeout=120).strip()
                      .splitlines()[-1])
    assert seen["arn"].endswith(f":assumed-role/{LOCAL_EXECUTION_ROLE}/SageMaker"), seen
    assert "seen-from-a-kernel" in seen["images"]
    assert "AWS_ACCESS_KEY_ID" not in seen["variables"] and not seen["aws_folder"]
    inspected = " ".join(container.attrs["Config"]["Env"])
    assert HOST_KEY not in inspected and "host-secret" not in inspected


def test_a_key_from_the_endpoint_is_refused_once_it_no_longer_matches_its_token(aws):
    """The local AWS takes an issued key only with its session token (SigV4 checked)."""
    local, endpoint = aws
    issued = endpoint.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::123456789012:role/{LOCAL_EXECUTION_ROLE}",
        RoleSessionName="SageMaker")["Credentials"]
    import boto3
    from botocore.exceptions import ClientError

    def caller(session_token):
        return boto3.session.Session().client(
            "sts", endpoint_url=endpoint.url, region_name=endpoint.region,
            aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretAccessKey"],
            aws_session_token=session_token).get_caller_identity()["Arn"]

    assert caller(issued["SessionToken"]).endswith(f"assumed-role/{LOCAL_EXECUTION_ROLE}/SageMaker")
    with pytest.raises(ClientError, match="InvalidClientTokenId"):
        caller("not-the-token")
