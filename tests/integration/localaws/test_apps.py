"""CreateApp launches the real apps: images pushed to the local ECR and registered with boto3 only
(as a user's notebook would), then KernelGateway, JupyterServer and space apps run as Studio runs
them, fail as Studio fails them, and are found again after a restart of the local AWS."""
import base64
import json

import docker
import pytest
import requests

from studio_containers.build.images import build_image
from studio_containers.deploy.push import PushRecord, push_images
from studio_containers.localaws.control import LocalAws
from studio_containers.runtime.kernel_client import execute
from studio_containers.spec import load_spec
from studio_containers.wait import wait_until
from tests.helpers import project_settings, shipped_images

ROLE = "arn:aws:iam::123456789012:role/studio-apps-test"
# Space apps run through CreateApp for the JupyterLab images: a Code Editor app takes the same
# launch path, and pushing its 1.1 GB image would add a minute to every CI run.
SPACE_IMAGES = shipped_images(app_type="JupyterLab")
PROBE = "import os; print(os.getuid(), os.getgid(), os.getcwd())"


def wait_status(sm, want=("InService", "Failed", "Deleted"), timeout=600, **app) -> dict:
    return wait_until(lambda: (d := sm.describe_app(**app))["Status"] in want and d,
                      timeout=timeout, interval=0.5, what=f"{app['AppName']} to settle")


@pytest.fixture(scope="module")
def aws(local_aws_settings, tmp_path_factory):
    """This module's local AWS; a space that never answers fails after 20 s, not Studio's 15 min."""
    local = LocalAws(local_aws_settings(tmp_path_factory.mktemp("apps"),
                                        validate__space_ready_timeout=20))
    try:
        yield local, local.start()
    finally:
        local.stop()


@pytest.fixture(scope="module")
def studio(aws, workspace, python_basic, tmp_path_factory):
    """python-basic and the JupyterLab space images pushed and registered; a domain offering them;
    user Ana and space work. Returns (sagemaker client, domain id, {name: image ARN})."""
    local, endpoint = aws
    ecr, sm = endpoint.client("ecr"), endpoint.client("sagemaker")
    spaces = [build_image(workspace, load_spec(local.settings.images_dir / name))
              for name in SPACE_IMAGES]
    pushed = push_images(workspace.client, ecr, [python_basic, *spaces], "apps",
                         PushRecord(tmp_path_factory.mktemp("push")), "local",
                         create_repository=True)
    arns, settings = {}, {"KernelGatewayAppSettings": {"CustomImages": []}}
    for image in pushed:
        spec = next(b.spec for b in [python_basic, *spaces] if b.spec.name == image.name)
        arns[image.name] = sm.create_image(ImageName=image.name, RoleArn=ROLE)["ImageArn"]
        sm.create_image_version(ImageName=image.name, BaseImage=image.image_uri)
        kind = f"{spec.app_type}ImageConfig" if spec.app_type == "KernelGateway" else \
            f"{spec.app_type}AppImageConfig"
        config = {"KernelSpecs": [{"Name": "python3"}]} if spec.app_type == "KernelGateway" else {}
        sm.create_app_image_config(AppImageConfigName=image.name, **{kind: config})
        settings.setdefault(f"{spec.app_type}AppSettings", {"CustomImages": []})[
            "CustomImages"].append({"ImageName": image.name, "AppImageConfigName": image.name})
    ec2 = endpoint.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    domain = sm.create_domain(DomainName="apps", AuthMode="IAM", SubnetIds=[subnet], VpcId=vpc,
                              DefaultUserSettings={"ExecutionRole": ROLE, **settings})
    domain_id = domain["DomainArn"].rsplit("/", 1)[-1]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="ana")
    sm.create_space(DomainId=domain_id, SpaceName="work")
    yield sm, domain_id, arns
    # Apps outlive the local AWS: whatever a failed test left running is deleted through the API.
    live = [a for a in sm.list_apps(DomainIdEquals=domain_id, MaxResults=100)["Apps"]
            if a["Status"] in ("Pending", "InService", "Failed")]
    for app in live:
        key = {k: app[k] for k in ("DomainId", "AppType", "AppName") if k in app}
        key.update({k: app[k] for k in ("UserProfileName", "SpaceName") if k in app})
        wait_status(sm, want=("InService", "Failed", "Deleted"), **key)
        if sm.describe_app(**key)["Status"] != "Deleted":
            sm.delete_app(**key)
            wait_status(sm, want=("Deleted",), **key)


def test_a_kernel_gateway_app_runs_kernels_reached_through_the_users_jupyter_server(studio):
    sm, domain_id, arns = studio
    kg = dict(DomainId=domain_id, UserProfileName="ana", AppType="KernelGateway", AppName="basic")
    sm.create_app(**kg, ResourceSpec={"SageMakerImageArn": arns["python-basic"]})
    server = dict(DomainId=domain_id, UserProfileName="ana", AppType="JupyterServer",
                  AppName="default")
    sm.create_app(**server)
    assert sm.describe_app(**kg)["Status"] == "Pending"      # the API answers while it starts
    assert wait_status(sm, **kg)["Status"] == "InService", sm.describe_app(**kg)
    assert wait_status(sm, **server)["Status"] == "InService", sm.describe_app(**server)

    url = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="ana")["AuthorizedUrl"]
    base, token = url.split("/lab?token=")
    specs = requests.get(f"{base}/api/kernelspecs", params={"token": token}, timeout=30).json()
    assert "python3__basic" in specs["kernelspecs"]
    assert "python-basic" in specs["kernelspecs"]["python3__basic"]["spec"]["display_name"]
    assert execute(base, token, "python3__basic", PROBE).split() == ["1000", "100",
                                                                      "/home/sagemaker-user"]
    assert requests.get(f"{base}/api/kernelspecs", timeout=30).status_code == 403

    sm.delete_app(**kg)
    sm.delete_app(**server)
    assert wait_status(sm, **kg)["Status"] == "Deleted"
    assert wait_status(sm, **server)["Status"] == "Deleted"
    labels = {"label": f"studio-containers.app={sm.describe_app(**kg)['AppArn']}"}
    assert docker.from_env().containers.list(all=True, filters=labels) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/api/status", timeout=5)


# In a kernel of a VpcOnly domain: who AWS says it is, and what a connection out does (to a
# documentation address: with outbound access off nothing leaves the container to reach it).
IN_A_VPC_ONLY_KERNEL = """
import json, socket, time, boto3
started = time.monotonic()
try:
    socket.create_connection(("192.0.2.1", 443), timeout=30).close()
    error = None
except OSError as exc:
    error = str(exc)
print(json.dumps({"error": error, "seconds": time.monotonic() - started,
                  "arn": boto3.client("sts").get_caller_identity()["Arn"]}))
"""


def test_a_vpc_only_domains_kernels_reach_the_local_aws_and_nothing_else(studio):
    sm, domain_id, arns = studio
    public = sm.describe_domain(DomainId=domain_id)
    vpc_only = sm.create_domain(
        DomainName="apps-vpc-only", AuthMode="IAM", SubnetIds=public["SubnetIds"],
        VpcId=public["VpcId"], AppNetworkAccessType="VpcOnly",
        DefaultUserSettings=public["DefaultUserSettings"])["DomainArn"].rsplit("/", 1)[-1]
    sm.create_user_profile(DomainId=vpc_only, UserProfileName="bo")
    kg = dict(DomainId=vpc_only, UserProfileName="bo", AppType="KernelGateway", AppName="basic")
    server = dict(DomainId=vpc_only, UserProfileName="bo", AppType="JupyterServer",
                  AppName="default")
    sm.create_app(**kg, ResourceSpec={"SageMakerImageArn": arns["python-basic"]})
    sm.create_app(**server)
    try:
        assert wait_status(sm, **kg)["Status"] == "InService", sm.describe_app(**kg)
        assert wait_status(sm, **server)["Status"] == "InService", sm.describe_app(**server)
        url = sm.create_presigned_domain_url(DomainId=vpc_only, UserProfileName="bo")["AuthorizedUrl"]
        base, token = url.split("/lab?token=")
        seen = json.loads(execute(base, token, "python3__basic", IN_A_VPC_ONLY_KERNEL,
                                  timeout=120).strip().splitlines()[-1])
        assert seen["error"] and "unreachable" in seen["error"].lower() and seen["seconds"] < 5, seen
        assert seen["arn"].endswith(f"assumed-role/{ROLE.rsplit('/', 1)[1]}/SageMaker"), seen
    finally:
        for app in (kg, server):
            sm.delete_app(**app)
            wait_status(sm, want=("Deleted",), **app)


@pytest.mark.parametrize("config, reason", [
    ({"FileSystemConfig": {"DefaultUid": 0, "DefaultGid": 0}, "KernelSpecs": [{"Name": "python3"}]},
     "Ensure that the UID/GID provided in the AppImageConfig (0/0) matches"),
    ({"KernelSpecs": [{"Name": "nope"}]}, "KernelSpecs of AppImageConfig wrong: nope not found"),
])
def test_a_wrong_app_image_config_fails_the_app_with_studios_reason(studio, config, reason):
    sm, domain_id, arns = studio
    try:
        sm.delete_app_image_config(AppImageConfigName="wrong")
    except sm.exceptions.ResourceNotFound:
        pass
    sm.create_app_image_config(AppImageConfigName="wrong", KernelGatewayImageConfig=config)
    sm.update_user_profile(DomainId=domain_id, UserProfileName="ana", UserSettings={
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "python-basic", "AppImageConfigName": "wrong"}]}})
    app = dict(DomainId=domain_id, UserProfileName="ana", AppType="KernelGateway", AppName="wrong")
    try:
        sm.create_app(**app, ResourceSpec={"SageMakerImageArn": arns["python-basic"]})
        described = wait_status(sm, **app)
        assert described["Status"] == "Failed" and reason in described["FailureReason"], described
    finally:
        sm.update_user_profile(DomainId=domain_id, UserProfileName="ana", UserSettings={
            "KernelGatewayAppSettings": {"CustomImages": []}})


@pytest.mark.parametrize("image", SPACE_IMAGES)
def test_a_space_app_serves_its_base_path_behind_a_token_and_survives_a_restart(studio, aws, image):
    sm, domain_id, arns = studio
    local, _ = aws
    app_type = load_spec(project_settings().images_dir / image).app_type
    app = dict(DomainId=domain_id, SpaceName="work", AppType=app_type, AppName="default")
    sm.create_app(**app, ResourceSpec={"SageMakerImageArn": arns[image]})
    assert wait_status(sm, **app)["Status"] == "InService", sm.describe_app(**app)
    url = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="ana",
                                         SpaceName="work")["AuthorizedUrl"]
    assert requests.get(url, timeout=30).status_code == 200
    assert requests.get(url.split("?")[0], timeout=30).status_code == 403

    local.stop()                                    # the app keeps running; its front does not
    local.start()
    assert sm.describe_app(**app)["Status"] == "InService"
    assert requests.get(url, timeout=30).status_code == 200   # the same URL and token again

    arn = sm.describe_app(**app)["AppArn"]
    [container] = docker.from_env().containers.list(filters={"label": f"studio-containers.app={arn}"})
    local.stop()
    container.remove(force=True)                    # gone while the local AWS was down
    local.start()
    described = sm.describe_app(**app)
    assert described["Status"] == "Failed" and "container or process is gone" in described["FailureReason"]
    sm.delete_app(**app)
    assert wait_status(sm, **app)["Status"] == "Deleted"


def test_a_space_app_that_never_serves_its_base_path_fails_with_what_it_served(studio):
    sm, domain_id, arns = studio
    sm.create_app_image_config(AppImageConfigName="lab-at-root", JupyterLabAppImageConfig={
        "ContainerConfig": {"ContainerEntrypoint": ["jupyter-lab"],
                            "ContainerArguments": ["--ip=0.0.0.0", "--port=8888",
                                                   "--IdentityProvider.token="]}})
    sm.update_user_profile(DomainId=domain_id, UserProfileName="ana", UserSettings={
        "JupyterLabAppSettings": {"CustomImages": [
            {"ImageName": "jupyterlab-python", "AppImageConfigName": "lab-at-root"}]}})
    sm.create_space(DomainId=domain_id, SpaceName="broken",
                    OwnershipSettings={"OwnerUserProfileName": "ana"})
    app = dict(DomainId=domain_id, SpaceName="broken", AppType="JupyterLab", AppName="default")
    try:
        sm.create_app(**app, ResourceSpec={"SageMakerImageArn": arns["jupyterlab-python"]})
        described = wait_status(sm, **app)
        assert described["Status"] == "Failed", described
        assert "InternalFailure" in described["FailureReason"]
        assert "but / answers: the app serves the root" in described["FailureReason"]
        labels = {"label": f"studio-containers.app={described['AppArn']}"}
        assert docker.from_env().containers.list(all=True, filters=labels) == []
    finally:
        sm.update_user_profile(DomainId=domain_id, UserProfileName="ana", UserSettings={
            "JupyterLabAppSettings": {"CustomImages": []}})


def test_an_app_whose_container_is_killed_is_noticed_as_failed(studio):
    sm, domain_id, arns = studio
    app = dict(DomainId=domain_id, UserProfileName="ana", AppType="KernelGateway", AppName="killed")
    sm.create_app(**app, ResourceSpec={"SageMakerImageArn": arns["python-basic"]})
    arn = wait_status(sm, **app)["AppArn"]
    [container] = docker.from_env().containers.list(filters={"label": f"studio-containers.app={arn}"})
    container.kill()                                # the OOM killer, say
    described = wait_status(sm, want=("Failed",), timeout=60, **app)
    assert "stopped on its own (exit code 137" in described["FailureReason"], described
    assert docker.from_env().containers.list(all=True, filters={
        "label": f"studio-containers.app={arn}"}) == []
    sm.delete_app(**app)
    assert wait_status(sm, want=("Deleted",), **app)["Status"] == "Deleted"


@pytest.mark.parametrize("script, status, said", [
    (b"#!/bin/bash\nset -e\necho ready > ~/.from-lifecycle\necho done as $(id -u)\n",
     "InService", None),
    (b"#!/bin/bash\necho starting\necho 'no proxy' >&2\nexit 3\n", "Failed",
     "LifecycleConfigFailure: lifecycle script team-start exited with code 3; its last line: "
     "no proxy."),
], ids=["good", "exits-3"])
def test_the_owners_default_lifecycle_config_runs_when_an_app_starts(studio, aws, script, status,
                                                                      said):
    sm, domain_id, arns = studio
    local, _ = aws
    arn = sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName="team-start", StudioLifecycleConfigAppType="KernelGateway",
        StudioLifecycleConfigContent=base64.b64encode(script).decode())["StudioLifecycleConfigArn"]
    user = f"lifecycle-{status.lower()}"         # a profile of its own: settings cannot be unset
    sm.create_user_profile(DomainId=domain_id, UserProfileName=user, UserSettings={
        "KernelGatewayAppSettings": {"LifecycleConfigArns": [arn],
                                     "DefaultResourceSpec": {"LifecycleConfigArn": arn}}})
    app = dict(DomainId=domain_id, UserProfileName=user, AppType="KernelGateway",
               AppName="with-lifecycle")
    try:
        sm.create_app(**app, ResourceSpec={"SageMakerImageArn": arns["python-basic"]})
        described = wait_status(sm, **app)
        assert described["Status"] == status, described
        assert described["ResourceSpec"]["LifecycleConfigArn"] == arn
        if said:
            assert said in described["FailureReason"], described
            labels = {"label": f"studio-containers.app={described['AppArn']}"}
            assert docker.from_env().containers.list(all=True, filters=labels) == []
        else:
            home = local.settings.state_dir / "aws" / "homes" / domain_id / "users" / user
            assert (home / ".from-lifecycle").read_text() == "ready\n"
            [log] = (local.settings.state_dir / "aws" / "lifecycle").glob("*.log")
            assert log.read_text() == "done as 1000\n"
            sm.delete_app(**app)
            assert wait_status(sm, **app)["Status"] == "Deleted"
        in_use = sm.delete_studio_lifecycle_config
        with pytest.raises(sm.exceptions.ResourceInUse):
            in_use(StudioLifecycleConfigName="team-start")
    finally:
        if sm.describe_app(**app)["Status"] != "Deleted":    # a Failed app is deleted too
            sm.delete_app(**app)
            wait_status(sm, want=("Deleted",), **app)
        sm.delete_user_profile(DomainId=domain_id, UserProfileName=user)
        # A profile keeps its lifecycle config in use until its Deleting phase is over.
        wait_until(lambda: user not in [p["UserProfileName"] for p in sm.list_user_profiles(
            DomainIdEquals=domain_id)["UserProfiles"]], timeout=30, interval=0.5,
            what=f"user profile {user} to be deleted")
        sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="team-start")
