"""End to end on the local target: `invoke up|status|rollback|down` with real Terraform, the
hashicorp/aws provider, the local AWS and its registry. Creating a SageMaker Image takes the
provider a minute (it sleeps for IAM), so each test makes one image."""
import json
import os
import signal
import subprocess

import pytest
from botocore.exceptions import ClientError

from studio_containers.cli_process import Cli
from tests.helpers import write_image
from tests.security import files_holding, mask

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
    assert "SageMaker Image other-team already exists and is not this stack's (no " \
        "studio-containers:stack tag at all: made outside this tool; this stack is" in refused.stderr
    assert gone(lambda: ecr.describe_repositories(repositoryNames=["e2e/other-team"]))
    (images / "other-team" / "image.yaml").unlink()
    (images / "other-team" / "Dockerfile").unlink()
    (images / "other-team" / "marker").unlink()
    (images / "other-team").rmdir()

    folder = images / "demo"
    first_run = cli("up", "--skip-validation")
    first = first_run.stdout
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

    # No secret of the local AWS (its key pair's secret, the session token a shell would get, the
    # registry's login and the token ECR hands out for it, the event token) in Terraform's state,
    # its working folder, the deploy's records, the local AWS's logs or anything `up` printed:
    # only in the 0600 files made to hold them, the credentials and the registry's config.
    state = tmp_path / "state"
    creds = json.loads((state / "aws" / "credentials.json").read_text())
    shell = cli.aws_session()[1].get_credentials().get_frozen_credentials()
    login = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    secrets = [s for s in (creds["secret_access_key"], creds["registry_password"],
                           creds["events_token"], shell.secret_key, shell.token, login) if s]
    allowed = {state / "aws" / "credentials.json", state / "aws" / "registry" / "config.yml"}
    assert [p for p in allowed if p.stat().st_mode & 0o077] == []
    tfstate = state / "terraform" / "local" / "stack" / "terraform.tfstate"
    logs = [state / "aws" / "server.log", state / "aws" / "registry.log"]
    assert tfstate.is_file() and all(log.is_file() for log in logs)    # the scan sees them
    assert "demo" in tfstate.read_text() and [mask(s) for s in secrets if s in tfstate.read_text()] == []
    holding = files_holding(state, secrets, allowed)
    assert holding == [], "\n".join(holding)
    printed = "".join(r.stdout + r.stderr for r in (invalid, no_domain, refused, first_run))
    assert [mask(s) for s in secrets if s in printed] == []

    again = cli("up", "--skip-validation").stdout
    assert "Nothing to rebuild" in again and "Nothing to push" in again
    assert "Terraform: no changes (nothing it manages changed since its last plan" in again
    assert "custom images and lifecycle configs updated" not in again and "Nothing changed" in again
    assert len(sm.list_image_versions(ImageName="demo")["ImageVersions"]) == 1
    forced = cli("up", "--skip-validation", "--plan").stdout
    assert "Terraform: applying the stack" in forced and "Terraform: no changes\n" in forced

    # Changed behind Terraform's back (the console, another tool): the skip does not hide it.
    sm.update_image(ImageName="demo", DisplayName="renamed by hand")
    repaired = cli("up", "--skip-validation").stdout
    assert "Terraform: applying the stack" in repaired and "Modifications complete" in repaired
    assert sm.describe_image(ImageName="demo")["DisplayName"] == "demo image"
    ecr.delete_lifecycle_policy(repositoryName="e2e/demo")
    recreated = cli("up", "--skip-validation").stdout
    assert "aws_ecr_lifecycle_policy.this[0]: Creation complete" in recreated
    assert ecr.get_lifecycle_policy(repositoryName="e2e/demo")["lifecyclePolicyText"]
    assert "Terraform: no changes (nothing it manages changed" in cli("up", "--skip-validation").stdout

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
        if "Terraform: applying the stack" in line:
            # The local AWS dies as Terraform starts reading it: it is started again from its
            # saved state and the provider's retries reach it.
            server = json.loads((tmp_path / "state" / "aws" / "server.pid").read_text())["pid"]
            os.kill(server, signal.SIGKILL)
        if "aws_sagemaker_image.this[0]: Creating..." in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert any("warning: the local AWS stopped during the deploy" in line for line in seen), seen
    assert any("warning: the local AWS is back at" in line for line in seen), seen
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
