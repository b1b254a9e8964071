"""End to end on the local target: `invoke up|status|rollback|down` with real Terraform, the
hashicorp/aws provider, the local AWS and its registry. Creating a SageMaker Image takes the
provider a minute (it sleeps for IAM), so each test makes one image."""
import os
import signal
import subprocess

import pytest
from botocore.exceptions import ClientError

from studio_containers.cli_process import Cli
from tests.helpers import write_image

SPEC = "name: {name}\ndisplay_name: {name} image\nkernels: [{{name: python3, display_name: Team Python}}]\n"


def tiny_image(images_dir, name: str, marker: str = "1"):
    folder = write_image(images_dir / name, "FROM scratch\nCOPY marker /marker\n",
                         SPEC.format(name=name))
    (folder / "marker").write_text(marker)
    return folder


@pytest.fixture
def cli(tmp_path):
    cli = Cli(tmp_path / "state", images_dir=tmp_path / "images",
                    aws_repository_prefix="e2e")
    (tmp_path / "images").mkdir()
    yield cli
    cli("down", check=False, timeout=300)
    cli("aws.stop", check=False)


def clients(cli):
    cli("aws.start")
    endpoint, session = cli.aws_session()
    return {name: session.client(name, endpoint_url=endpoint)
            for name in ("sagemaker", "ecr", "iam", "ec2")}


def other_teams_domain(aws) -> str:
    sm, ec2 = aws["sagemaker"], aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    role = "arn:aws:iam::123456789012:role/other-team-role"
    domain = sm.create_domain(DomainName="shared", AuthMode="IAM", SubnetIds=[subnet], VpcId=vpc,
                              DefaultUserSettings={"ExecutionRole": role})["DomainArn"]
    sm.create_image(ImageName="other-team", RoleArn=role)
    sm.create_app_image_config(AppImageConfigName="other-team", KernelGatewayImageConfig={
        "KernelSpecs": [{"Name": "ir"}]})
    domain_id = domain.rsplit("/", 1)[-1]
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"KernelGatewayAppSettings": {
        "CustomImages": [{"ImageName": "other-team", "AppImageConfigName": "other-team"}]}})
    return domain_id


def offered(sm, domain_id: str) -> dict:
    settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    return {e["ImageName"]: e.get("ImageVersionNumber")
            for e in settings["KernelGatewayAppSettings"]["CustomImages"]}


def gone(call) -> bool:
    try:
        call()
    except ClientError:
        return True
    return False


def test_up_again_change_rollback_and_down(cli, tmp_path):
    images = tmp_path / "images"
    aws = clients(cli)
    sm, ecr, iam = aws["sagemaker"], aws["ecr"], aws["iam"]
    domain_id = other_teams_domain(aws)
    cli.env["INVOKE_DEPLOY_DOMAIN_ID"] = "d-000000000000"
    tiny_image(images, "demo")
    # A tiny image without Python fails validation: up refuses it unless told to skip, visibly.
    invalid = cli("up", check=False)
    assert invalid.returncode == 1 and "validation failed for demo" in invalid.stderr
    assert "--skip-validation" in invalid.stderr
    no_domain = cli("up", "--skip-validation", check=False)
    assert no_domain.returncode == 1 and "Traceback" not in no_domain.stderr
    assert "validation skipped (--skip-validation)" in no_domain.stderr
    assert "deploy.domain_id d-000000000000: no such SageMaker domain" in no_domain.stderr
    assert gone(lambda: ecr.describe_repositories(repositoryNames=["e2e/demo"]))
    cli.env["INVOKE_DEPLOY_DOMAIN_ID"] = domain_id

    # An image name another team already owns is refused before anything is made.
    tiny_image(images, "other-team")
    refused = cli("up", "--skip-validation", "--image", "other-team", check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "SageMaker Image other-team already exists and is not this stack's" in refused.stderr
    assert gone(lambda: ecr.describe_repositories(repositoryNames=["e2e/other-team"]))
    (images / "other-team" / "image.yaml").unlink()
    (images / "other-team" / "Dockerfile").unlink()
    (images / "other-team" / "marker").unlink()
    (images / "other-team").rmdir()

    folder = images / "demo"
    first = cli("up", "--skip-validation").stdout
    assert "Deployed:" in first
    image = sm.describe_image(ImageName="demo")
    assert image["ImageStatus"] == "CREATED" and image["DisplayName"] == "demo image"
    version = sm.describe_image_version(ImageName="demo")
    digest = ecr.describe_images(repositoryName="e2e/demo")["imageDetails"][0]["imageDigest"]
    uri = ecr.describe_repositories(repositoryNames=["e2e/demo"])["repositories"][0][
        "repositoryUri"]
    assert version["Version"] == 1 and version["BaseImage"] == f"{uri}@{digest}"
    config = sm.describe_app_image_config(AppImageConfigName="demo")["KernelGatewayImageConfig"]
    assert config == {"KernelSpecs": [{"Name": "python3", "DisplayName": "Team Python"}],
                      "FileSystemConfig": {"MountPath": "/home/sagemaker-user",
                                           "DefaultUid": 1000, "DefaultGid": 100}}
    assert offered(sm, domain_id) == {"other-team": None, "demo": 1}

    again = cli("up", "--skip-validation").stdout
    assert "Nothing to rebuild" in again and "Nothing to push" in again
    assert "Terraform: no changes" in again and "CustomImages updated" not in again
    assert "Nothing changed" in again
    assert len(sm.list_image_versions(ImageName="demo")["ImageVersions"]) == 1

    (folder / "marker").write_text("2")
    changed = cli("up", "--skip-validation").stdout
    assert "version 1 stays available for rollback" in changed
    versions = sm.list_image_versions(ImageName="demo", SortBy="VERSION",
                                      SortOrder="ASCENDING")["ImageVersions"]
    assert [v["Version"] for v in versions] == [1, 2]
    assert offered(sm, domain_id) == {"other-team": None, "demo": 2}
    assert "up to date" in cli("status").stdout

    cli("rollback", "--image", "demo", "--version", "1")
    assert offered(sm, domain_id) == {"other-team": None, "demo": 1}
    assert "rolled back to 1" in cli("status").stdout
    missing = cli("rollback", "--image", "demo", "--version", "9", check=False)
    assert missing.returncode == 1 and "available: 1, 2" in missing.stderr

    cli("down")
    assert offered(sm, domain_id) == {"other-team": None}
    assert gone(lambda: sm.describe_image(ImageName="demo"))
    assert gone(lambda: sm.describe_app_image_config(AppImageConfigName="demo"))
    assert gone(lambda: ecr.describe_repositories(repositoryNames=["e2e/demo"]))
    assert gone(lambda: iam.get_role(RoleName="demo-studio-image"))
    assert sm.describe_image(ImageName="other-team")["ImageStatus"] == "CREATED"


def test_up_killed_during_apply_converges(cli, tmp_path):
    tiny_image(tmp_path / "images", "killed")
    aws = clients(cli)
    proc = subprocess.Popen(cli.argv("up", "--skip-validation"), env=cli.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "aws_sagemaker_image.this[0]: Creating..." in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    sm = aws["sagemaker"]
    # What the killed run made before the kill exists, untracked by Terraform's state.
    assert sm.describe_app_image_config(AppImageConfigName="killed")

    cli("up", "--skip-validation")
    versions = sm.list_image_versions(ImageName="killed")["ImageVersions"]
    assert [v["Version"] for v in versions] == [1]
    assert "Terraform: no changes" in cli("up", "--skip-validation").stdout   # everything is in the state now

    # A run that dies before Terraform saved anything (or a lost state): what is tagged as this
    # stack's, or belongs to its image, is imported again instead of refused or duplicated.
    (tmp_path / "state" / "terraform" / "local" / "stack" / "terraform.tfstate").unlink()
    adopted = cli("up", "--skip-validation").stdout
    assert adopted.count("terraform import") == 7, adopted
    assert [v["Version"] for v in sm.list_image_versions(ImageName="killed")["ImageVersions"]] \
        == [1]
    assert "Terraform: no changes" in cli("up", "--skip-validation").stdout
    cli("down")
    assert gone(lambda: sm.describe_app_image_config(AppImageConfigName="killed"))
    assert gone(lambda: aws["iam"].get_role(RoleName="killed-studio-image"))


SPACE_SPEC = """name: {name}
app_type: JupyterLab
container_config:
  entrypoint: [jupyter-lab]
  arguments: [--ServerApp.base_url=/jupyterlab/default]
"""


def test_a_space_image_is_deployed_next_to_another_teams_and_removed(cli, tmp_path):
    aws = clients(cli)
    sm, ec2 = aws["sagemaker"], aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    role = "arn:aws:iam::123456789012:role/other-team-role"
    domain_id = sm.create_domain(DomainName="spaces", AuthMode="IAM", SubnetIds=[subnet], VpcId=vpc,
                                 DefaultUserSettings={"ExecutionRole": role})["DomainArn"].rsplit("/", 1)[-1]
    sm.create_image(ImageName="their-lab", RoleArn=role)
    sm.create_app_image_config(AppImageConfigName="their-lab", JupyterLabAppImageConfig={})
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": {
        "CustomImages": [{"ImageName": "their-lab", "AppImageConfigName": "their-lab"}]}})
    cli.env["INVOKE_DEPLOY_DOMAIN_ID"] = domain_id
    folder = write_image(tmp_path / "images" / "lab", "FROM scratch\nCOPY marker /marker\n",
                         SPACE_SPEC.format(name="lab"))
    (folder / "marker").write_text("1")

    assert "lab: creating its JupyterLab AppImageConfig" in cli("up", "--skip-validation").stdout
    config = sm.describe_app_image_config(AppImageConfigName="lab")
    assert config["JupyterLabAppImageConfig"] == {"ContainerConfig": {
        "ContainerEntrypoint": ["jupyter-lab"],
        "ContainerArguments": ["--ServerApp.base_url=/jupyterlab/default"]}}
    assert "KernelGatewayImageConfig" not in config
    assert sm.list_tags(ResourceArn=config["AppImageConfigArn"])["Tags"] == [
        {"Key": "studio-containers:stack", "Value": "studio-containers"}]
    assert sm.describe_image_version(ImageName="lab")["Version"] == 1

    def lists():
        settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
        return {key: [e["ImageName"] for e in value.get("CustomImages", [])]
                for key, value in settings.items() if key.endswith("AppSettings")}
    assert lists() == {"JupyterLabAppSettings": ["their-lab", "lab"]}
    assert "Nothing changed" in cli("up", "--skip-validation").stdout

    (folder / "image.yaml").write_text(SPACE_SPEC.format(name="lab").replace(
        "base_url=/jupyterlab/default", "base_url=/jupyterlab/default/"))
    changed = cli("up", "--skip-validation").stdout
    assert "lab: updating its JupyterLab AppImageConfig" in changed
    assert sm.describe_app_image_config(AppImageConfigName="lab")["JupyterLabAppImageConfig"][
        "ContainerConfig"]["ContainerArguments"] == ["--ServerApp.base_url=/jupyterlab/default/"]
    assert "up to date" in cli("status").stdout

    cli("down")
    assert gone(lambda: sm.describe_app_image_config(AppImageConfigName="lab"))
    assert gone(lambda: sm.describe_image(ImageName="lab"))
    assert sm.describe_app_image_config(AppImageConfigName="their-lab")
    assert lists() == {"JupyterLabAppSettings": ["their-lab"]}
