"""boto3 in a kernel or a space works unchanged against the local AWS, as the app's execution role,
through the container credentials endpoint, on every network that reaches it (VpcOnly too: the
local AWS plays AWS through VPC endpoints); the host's own AWS keys never reach the container."""
import json
import secrets

import pytest

from studio_containers.localaws.control import running_local_aws
from studio_containers.ports import free_port
from studio_containers.runtime.app_credentials import (
    LOCAL_EXECUTION_ROLE,
    assume_role_through,
    local_execution_role,
)
from studio_containers.runtime.container import remove
from studio_containers.runtime.credentials_endpoint import (
    CredentialsEndpoint,
    CredentialsIssuer,
)
from studio_containers.runtime.front import TokenFront
from studio_containers.runtime.gateway import gateway_container, start_gateway
from studio_containers.runtime.home import prepare_home
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.space import space_container, start_space
from studio_containers.spec import load_spec
from tests.helpers import NETWORKS, shipped_images

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
def credentials(aws, monkeypatch):
    """A credentials endpoint for the test's apps, with the user's own keys in the environment
    of the process that starts them: they must not reach the app."""
    local, endpoint = aws
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", HOST_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    reach = running_local_aws(local.settings)
    server = CredentialsEndpoint(CredentialsIssuer(assume_role_through(reach), endpoint.url,
                                                   local.settings.aws_region)).start()
    try:
        yield lambda: server.add(local_execution_role(reach))
    finally:
        server.stop()


def _assert_the_role_answered(seen: dict, container, endpoint_image: str) -> None:
    assert seen["arn"].endswith(f":assumed-role/{LOCAL_EXECUTION_ROLE}/SageMaker"), seen
    assert endpoint_image in seen["images"]
    assert "AWS_ACCESS_KEY_ID" not in seen["variables"] and not seen["aws_folder"]
    inspected = " ".join(container.attrs["Config"]["Env"])
    assert HOST_KEY not in inspected and "host-secret" not in inspected


@pytest.mark.parametrize("network", NETWORKS)
def test_boto3_in_a_kernel_calls_the_local_aws_as_the_execution_role(
        network, aws, credentials, workspace, runtime, python_basic, tmp_path):
    local, endpoint = aws
    endpoint.client("sagemaker").create_image(
        ImageName=f"seen-from-a-kernel-{network}", RoleArn="arn:aws:iam::123456789012:role/any")
    spec = load_spec(local.settings.images_dir / "python-basic")
    token = secrets.token_urlsafe(16)
    gc = gateway_container(spec, python_basic.ref, runtime, prepare_home(tmp_path / "home", spec),
                           token, free_port(), local.settings.state_dir, network=NETWORKS[network],
                           name=f"studio-containers-test-aws-{secrets.token_hex(4)}",
                           aws=credentials())
    container = start_gateway(workspace.client, gc, spec, local.settings.ready_timeout)
    try:
        seen = json.loads(execute(gc.url, token, "python3", IN_THE_KERNEL, timeout=120).strip()
                          .splitlines()[-1])
        _assert_the_role_answered(seen, container, f"seen-from-a-kernel-{network}")
    finally:
        remove(container)


@pytest.mark.parametrize("space", shipped_images(app_type="JupyterLab"), indirect=True)
def test_boto3_in_a_space_calls_the_local_aws_as_the_execution_role(
        space, aws, credentials, workspace, tmp_path):
    local, endpoint = aws
    endpoint.client("sagemaker").create_image(
        ImageName="seen-from-a-space", RoleArn="arn:aws:iam::123456789012:role/any")
    sc = space_container(space.spec, space.ref, prepare_home(tmp_path / "home", space.spec),
                         free_port(), local.settings.state_dir, local.settings.aws_region,
                         name=f"studio-containers-test-aws-{secrets.token_hex(4)}",
                         network=NETWORKS["user-nat"], aws=credentials())
    container, base_path = start_space(workspace.client, sc, space.spec, timeout=120)
    front = TokenFront(free_port(), secrets.token_urlsafe(16), sc.host_port).start()
    try:
        seen = json.loads(execute(f"{front.url}{base_path}", front.token, "python3", IN_THE_KERNEL,
                                  timeout=120).strip().splitlines()[-1])
        _assert_the_role_answered(seen, container, "seen-from-a-space")
    finally:
        front.stop()
        remove(container)


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
