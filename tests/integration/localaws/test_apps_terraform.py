"""hashicorp/aws 3.39.0 (the provider the offline mirror holds) manages user profiles and their
JupyterServer apps on the local AWS as it does on AWS: apply waits for InService, a second plan
has nothing to change (every field it reads back matches what it sent), destroy waits for
Deleted, and what was deleted behind Terraform's back is planned again rather than failing the
refresh. The JupyterServer app is the local JupyterLab, so no Docker engine is used."""
import itertools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from studio_containers.deploy.runner import TerraformRunner
from studio_containers.deploy.stack import SOURCE
from studio_containers.deploy.targets import open_target
from studio_containers.wait import wait_until

ROLE = "arn:aws:iam::123456789012:role/studio-apps-terraform-test"
# Lower case: both 3.x and 5.x take the profile name back from the ARN, which AWS lower-cases.
PROFILES = (f"tf-user-{n}" for n in itertools.count(1))

CONFIGURATION = """
variable "region" {
  type = string
}

variable "local_endpoint" {
  type = string
}

variable "domain_id" {
  type = string
}

variable "profile" {
  type = string
}

locals {
  local = var.local_endpoint != null
}

%s

resource "aws_sagemaker_user_profile" "test" {
  domain_id         = var.domain_id
  user_profile_name = var.profile

  tags = {
    team = "studio"
  }
}

# With settings: what DescribeUserProfile answers must read back as this block, member by member.
resource "aws_sagemaker_user_profile" "with_settings" {
  domain_id         = var.domain_id
  user_profile_name = "${var.profile}-settings"

  user_settings {
    execution_role = "%s"
  }
}

resource "aws_sagemaker_app" "test" {
  domain_id         = var.domain_id
  user_profile_name = aws_sagemaker_user_profile.test.user_profile_name
  app_type          = "JupyterServer"
  app_name          = "default"
}
"""


def stack_provider_block() -> str:
    """The provider block the deploy uses (terraform/stack/main.tf), so that this test configures
    endpoints, skips and region exactly as `invoke up` does."""
    found = re.search(r'^provider "aws" \{\n.*?^\}\n', (SOURCE / "stack" / "main.tf").read_text(),
                      re.M | re.S)
    assert found, 'terraform/stack/main.tf has no provider "aws" block'
    return found.group(0)


@dataclass
class Stack:
    runner: TerraformRunner
    folder: Path
    terraform: str
    profile: str

    @property
    def app(self) -> dict:
        return dict(UserProfileName=self.profile, AppType="JupyterServer", AppName="default")

    def plan(self) -> subprocess.CompletedProcess:
        """`terraform plan -detailed-exitcode`: 0 without changes, 2 with, 1 on an error."""
        return subprocess.run([self.terraform, "plan", "-detailed-exitcode", "-input=false",
                               "-no-color"], cwd=self.folder, env={**os.environ, **self.runner.env},
                              capture_output=True, text=True)


@pytest.fixture(scope="module")
def domain_id(aws):
    _, endpoint = aws
    ec2, sm = endpoint.client("ec2"), endpoint.client("sagemaker")
    vpc = ec2.create_vpc(CidrBlock="10.19.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.19.1.0/24")["Subnet"]["SubnetId"]
    arn = sm.create_domain(DomainName="terraform-apps", AuthMode="IAM", SubnetIds=[subnet],
                           VpcId=vpc, DefaultUserSettings={"ExecutionRole": ROLE})["DomainArn"]
    return arn.rsplit("/", 1)[-1]


@pytest.fixture
def sm(aws, domain_id):
    """The SageMaker client; whatever app a test leaves running is deleted afterwards, as the
    JupyterServer's lab would outlive the local AWS."""
    _, endpoint = aws
    client = endpoint.client("sagemaker")
    yield client
    for app in client.list_apps(DomainIdEquals=domain_id, MaxResults=100)["Apps"]:
        if app["Status"] not in ("Deleted", "Deleting", "Failed"):
            client.delete_app(DomainId=domain_id, UserProfileName=app["UserProfileName"],
                              AppType=app["AppType"], AppName=app["AppName"])
    wait_until(lambda: all(a["Status"] in ("Deleted", "Failed") for a in
                           client.list_apps(DomainIdEquals=domain_id, MaxResults=100)["Apps"]),
               timeout=60, interval=0.5, what="the test's apps to be deleted")


@pytest.fixture
def stack(aws, domain_id, tmp_path) -> Stack:
    """A Terraform folder with the deploy's toolchain (the offline 3.39.0 mirror), provider block,
    lock file and environment, initialised, for a user profile of its own."""
    local, _ = aws
    target = open_target(local.settings, "local")    # the running local AWS, as `invoke up` sees it
    for name in ("versions.tf", ".terraform.lock.hcl"):
        shutil.copyfile(SOURCE / "stack" / name, tmp_path / name)
    (tmp_path / "main.tf").write_text(CONFIGURATION % (stack_provider_block(), ROLE))
    profile = next(PROFILES)
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps({
        "region": target.region, "local_endpoint": target.local_endpoint,
        "domain_id": domain_id, "profile": profile}))
    runner = TerraformRunner(tmp_path, target.toolchain, target.terraform_env,
                             local.settings.deploy_parallelism, local.settings.deploy_lock_timeout)
    runner.init()
    return Stack(runner, tmp_path, target.toolchain.binary, profile)


def test_apply_plans_nothing_more_and_destroy_deletes_the_app_and_profile(stack, sm, domain_id):
    assert stack.runner.apply() is True

    described = sm.describe_app(DomainId=domain_id, **stack.app)
    assert described["Status"] == "InService", described
    url = sm.create_presigned_domain_url(DomainId=domain_id,
                                         UserProfileName=stack.profile)["AuthorizedUrl"]
    base, token = url.split("/lab?token=")
    lab = f"{base}/api/status?token={token}"
    assert requests.get(lab, timeout=30).status_code == 200      # the real lab answers
    profile = sm.describe_user_profile(DomainId=domain_id, UserProfileName=stack.profile)
    assert sm.list_tags(ResourceArn=profile["UserProfileArn"])["Tags"] == [
        {"Key": "team", "Value": "studio"}]
    state = stack.runner.state()
    assert state["aws_sagemaker_app.test"]["arn"] == described["AppArn"]
    assert state["aws_sagemaker_user_profile.test"]["arn"] == profile["UserProfileArn"]

    # Whatever the provider reads back differently from what it sent is a change on every plan.
    again = stack.plan()
    assert again.returncode == 0, again.stdout + again.stderr

    stack.runner.destroy()
    # DescribeApp needs the profile, which is gone now; the listing still shows the deleted app.
    [app] = sm.list_apps(DomainIdEquals=domain_id, UserProfileNameEquals=stack.profile)["Apps"]
    assert app["Status"] == "Deleted"
    for name in (stack.profile, f"{stack.profile}-settings"):
        with pytest.raises(sm.exceptions.ResourceNotFound):
            sm.describe_user_profile(DomainId=domain_id, UserProfileName=name)
    with pytest.raises(requests.ConnectionError):
        requests.get(lab, timeout=5)
    assert stack.runner.state() == {}


def test_what_was_deleted_behind_terraforms_back_is_planned_again(stack, sm, domain_id):
    assert stack.runner.apply() is True
    sm.delete_app(DomainId=domain_id, **stack.app)
    wait_until(lambda: sm.describe_app(DomainId=domain_id, **stack.app)["Status"] == "Deleted",
               timeout=60, interval=0.5, what="the app to be deleted")

    gone_app = stack.plan()     # a Deleted app is gone to the provider: create it again
    assert gone_app.returncode == 2, gone_app.stdout + gone_app.stderr
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in gone_app.stdout

    sm.delete_user_profile(DomainId=domain_id, UserProfileName=stack.profile)
    wait_until(lambda: not _profile_listed(sm, domain_id, stack.profile), timeout=60,
               interval=0.5, what="the profile's Deleting phase to end")
    gone_both = stack.plan()    # ResourceNotFound from DescribeUserProfile is gone, not an error
    assert gone_both.returncode == 2, gone_both.stdout + gone_both.stderr
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in gone_both.stdout

    stack.runner.destroy()      # the refresh drops both: only the profile with settings is left
    assert stack.runner.state() == {}
    assert sm.list_user_profiles(DomainIdEquals=domain_id,
                                 UserProfileNameContains=stack.profile)["UserProfiles"] == []


def _profile_listed(sm, domain_id: str, name: str) -> bool:
    return any(p["UserProfileName"] == name
               for p in sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"])
