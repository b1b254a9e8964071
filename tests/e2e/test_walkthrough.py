"""End to end: notebooks/walkthrough.ipynb run top to bottom with nbclient, in the project's venv
kernel, against a local AWS of the test's own. The notebook gets only the local AWS's variables,
as after `eval "$(./inv aws.env)"`, and finds everything else as after `./inv up`: python-basic in
the local ECR and the domain studio-containers-local, which here already offers another team's
image, which must still be offered, unchanged, when the notebook is done."""
import os
from urllib.parse import urlsplit

import nbformat
import pytest
from botocore.exceptions import ClientError
from nbclient import NotebookClient

from studio_containers import PROJECT_ROOT
from studio_containers.build.images import build_image
from studio_containers.build.workspace import open_workspace
from studio_containers.cli_process import LocalRun
from studio_containers.deploy.domain import LOCAL_DOMAIN
from studio_containers.deploy.push import PushRecord, push_images
from studio_containers.localaws.control import LocalAws
from studio_containers.ports import free_port
from studio_containers.runtime.kernel_client import KernelSession
from studio_containers.spec import load_spec
from studio_containers.wait import wait_until
from tests.helpers import project_settings

# What a user would run first in a notebook of python-basic: the walkthrough's two other modules.
PIP_INSTALL = ("import subprocess, sys; subprocess.run([sys.executable, '-m', 'pip', 'install', "
               "'-q', '--disable-pip-version-check', 'requests', 'websocket-client'], check=True)")

NOTEBOOK = PROJECT_ROOT / "notebooks" / "walkthrough.ipynb"
ROLE = "arn:aws:iam::123456789012:role/walkthrough-test"
OTHER_TEAM = {"ImageName": "other-team", "AppImageConfigName": "other-team"}
# The notebook's defaults: the repository `./inv up` pushes python-basic to, its own names.
REPOSITORY_PREFIX = "studio-containers"
IMAGE_NAME = "walkthrough-python"
# A fresh machine builds the gateway runtime at the first KernelGateway app, within one cell.
CELL_TIMEOUT = 1200


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return project_settings(state_dir=str(tmp_path_factory.mktemp("walkthrough")),
                            aws__port=free_port(), aws__registry_port=free_port())


@pytest.fixture(scope="module")
def local_aws(settings):
    """A local AWS on free ports with python-basic pushed and the local domain made (as `./inv up`
    leaves them, without Terraform): (Endpoint, domain id). Apps a failed run left are deleted
    before it stops, since their containers and labs would outlive it."""
    state = settings.state_dir
    workspace = open_workspace(settings)
    built = build_image(workspace, load_spec(settings.images_dir / "python-basic"))
    local = LocalAws(settings)
    endpoint = local.start()
    try:
        push_images(workspace.client, endpoint.client("ecr"), [built], REPOSITORY_PREFIX,
                    PushRecord(state), "local", create_repository=True)
        yield endpoint, local_domain(endpoint)
    finally:
        try:
            delete_apps(endpoint.client("sagemaker"))
        finally:
            local.stop()


def local_domain(endpoint) -> str:
    sm, ec2 = endpoint.client("sagemaker"), endpoint.client("ec2")
    sm.create_image(ImageName=OTHER_TEAM["ImageName"], RoleArn=ROLE)
    sm.create_app_image_config(AppImageConfigName=OTHER_TEAM["AppImageConfigName"],
                               KernelGatewayImageConfig={"KernelSpecs": [{"Name": "ir"}]})
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    arn = sm.create_domain(DomainName=LOCAL_DOMAIN, AuthMode="IAM", SubnetIds=[subnet], VpcId=vpc,
                           DefaultUserSettings={
                               "ExecutionRole": ROLE,
                               "KernelGatewayAppSettings": {"CustomImages": [OTHER_TEAM]}})
    return arn["DomainArn"].rsplit("/", 1)[-1]


def all_apps(sm, **filters) -> list[dict]:
    return [app for page in sm.get_paginator("list_apps").paginate(**filters)
            for app in page["Apps"]]


def delete_apps(sm) -> None:
    """Deletes every app that is not Deleted. A Pending one settles first: deleted mid-launch, what
    the launch starts afterwards would be left running."""
    def settled(key):
        status = sm.describe_app(**key)["Status"]
        return status not in ("Pending", "Deleting") and status

    keys = {(a["DomainId"], a["UserProfileName"], a["AppType"], a["AppName"])
            for a in all_apps(sm) if a["Status"] != "Deleted" and a.get("UserProfileName")}
    keys = [dict(zip(("DomainId", "UserProfileName", "AppType", "AppName"), k)) for k in keys]
    for key in keys:
        if wait_until(lambda: settled(key), timeout=CELL_TIMEOUT, interval=0.5,
                      what=f"app {key['AppName']} to settle") != "Deleted":
            sm.delete_app(**key)
    for key in keys:
        wait_until(lambda: sm.describe_app(**key)["Status"] == "Deleted", timeout=300,
                   interval=0.5, what=f"app {key['AppName']} to be deleted")


def printed(nb) -> str:
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.outputs if output.output_type == "stream")


def test_the_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.timeout(2 * CELL_TIMEOUT)
def test_the_walkthrough_runs_the_image_as_a_studio_kernel_and_leaves_the_domain_as_it_was(
        local_aws, tmp_path):
    endpoint, domain_id = local_aws
    sm = endpoint.client("sagemaker")
    offered_before = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"][
        "KernelGatewayAppSettings"]["CustomImages"]
    # Only what `./inv aws.env` exports: no credentials, profile or WALKTHROUGH_* of the shell
    # running the tests may reach the kernel.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AWS_", "WALKTHROUGH_"))}
    env.update(endpoint.environment())

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)

    assert all(cell.execution_count for cell in nb.cells if cell.cell_type == "code")
    output = printed(nb)
    # The kernel was the app's (the lab lists it under the app's name), run as the AppImageConfig's
    # user.
    assert f"python3__{IMAGE_NAME}: Python 3 (walkthrough)" in output, output
    assert "uid in the kernel: 1000\n" in output, output

    apps = all_apps(sm, DomainIdEquals=domain_id)
    assert {(a["AppType"], a["AppName"]) for a in apps} == {("KernelGateway", IMAGE_NAME),
                                                            ("JupyterServer", "default")}
    assert [a for a in apps if a["Status"] != "Deleted"] == []
    offered_after = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"][
        "KernelGatewayAppSettings"]["CustomImages"]
    assert offered_after == offered_before == [OTHER_TEAM]
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sm.describe_image(ImageName=IMAGE_NAME)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sm.describe_app_image_config(AppImageConfigName=IMAGE_NAME)
    assert sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"] == []


@pytest.mark.timeout(2 * CELL_TIMEOUT)
def test_the_walkthrough_also_runs_inside_a_kernel_of_invoke_local(local_aws, settings, tmp_path):
    """The same cells in a kernel of `invoke local` (python-basic): the kernel reaches the package
    index and the local AWS, as the execution role, with nothing of the shell's AWS setup."""
    endpoint, domain_id = local_aws
    sm = endpoint.client("sagemaker")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AWS_", "WALKTHROUGH_"))}
    env.update(INVOKE_STATE_DIR=str(settings.state_dir), INVOKE_AWS_PORT=str(settings.aws_port),
               INVOKE_AWS_REGISTRY_PORT=str(settings.registry_port),
               INVOKE_LOCAL_HOME_DIR=str(tmp_path / "home"))
    cells = [cell.source for cell in nbformat.read(NOTEBOOK, as_version=4).cells
             if cell.cell_type == "code"]
    run = LocalRun(env, "--image", "python-basic", "--port", str(free_port()))
    try:
        _, base, token = run.wait_for_url(600)
        with KernelSession(base, token, "python3", timeout=CELL_TIMEOUT) as kernel:
            kernel.run(PIP_INSTALL)
            output = "".join(kernel.run(code) for code in cells)
        assert run.interrupt() == 0
    finally:
        run.kill()
    # The local AWS as the kernel reaches it: through 10.0.2.2 under user-mode NAT (root), on
    # this machine's loopback from the host's network otherwise.
    port = urlsplit(endpoint.url).port
    host = "10.0.2.2" if os.geteuid() == 0 else "127.0.0.1"
    assert f"SageMaker at http://{host}:{port} " in output, output
    assert f"python3__{IMAGE_NAME}: Python 3 (walkthrough)" in output, output
    assert "uid in the kernel: 1000\n" in output, output
    assert sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"][
        "KernelGatewayAppSettings"]["CustomImages"] == [OTHER_TEAM]
