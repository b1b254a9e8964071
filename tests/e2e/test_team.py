"""Team use of one domain, end to end: checkouts on separate state folders deploy with
`--target aws` to one shared AWS (a local AWS standing in for it through deploy.endpoint_url),
Terraform state in its S3 with DynamoDB locking. Two teams' `up`s at the same time both land and
keep a third team's image and lifecycle config; a clone of one team's checkout, run while that
team's `up` runs, says who is deploying that stack; `down` of each removes only its own."""
import re
import subprocess

import yaml

from studio_containers.cli_process import Cli
from studio_containers.deploy.team_lock import who
from tests.e2e.test_deploy import gone, tiny_image
from tests.helpers import write_image

BUCKET, TABLE = "team-state", "team-locks"
LAB_SPEC = """name: {name}
app_type: JupyterLab
container_config:
  entrypoint: [jupyter-lab]
  arguments: [--ServerApp.base_url={base_url}]
"""


class Checkout:
    """One team member's clone: its own state folder and invoke.yaml-style settings."""

    def __init__(self, root, name: str, stack: str, images, endpoint: str, credentials: dict,
                 domain_id: str, lock_timeout: int = 600, lifecycle=None):
        self.images = images
        # A checkout's own lifecycle/ (none: a folder that does not exist)
        self.cli = Cli(root / name / "state", images_dir=images,
                       lifecycle_dir=lifecycle or root / name / "lifecycle")
        config = {"deploy": {"target": "aws", "endpoint_url": endpoint, "domain_id": domain_id,
                             "stack": stack, "lock_timeout": lock_timeout,
                             "backend": {"bucket": BUCKET, "key": f"{stack}.tfstate",
                                         "dynamodb_table": TABLE}},
                  "aws": {"repository_prefix": stack}}
        path = root / name / "invoke.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        self.cli.env.update(credentials, INVOKE_RUNTIME_CONFIG=str(path))

    def __call__(self, *args, **kwargs):
        return self.cli(*args, **kwargs)

    def start(self, *args) -> subprocess.Popen:
        return subprocess.Popen(self.cli.argv(*args), env=self.cli.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finished(proc: subprocess.Popen, seen: list[str]) -> str:
    out = "".join(seen) + proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    return out


def lists(sm, domain_id: str) -> dict:
    settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    return {key: sorted(e["ImageName"] for e in value.get("CustomImages", []))
            for key, value in settings.items() if key.endswith("AppSettings")}


def test_two_teams_deploy_to_one_domain_at_once_and_a_third_run_is_told_who_holds_the_lock(tmp_path):
    host = Cli(tmp_path / "host" / "state")       # the shared "AWS"
    host("aws.start")
    teams = []
    try:
        endpoint, session = host.aws_session()
        sm, s3, dynamodb = (session.client(n, endpoint_url=endpoint)
                            for n in ("sagemaker", "s3", "dynamodb"))
        s3.create_bucket(Bucket=BUCKET)
        dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
        domain_id = third_teams_domain(session, endpoint)
        frozen = session.get_credentials().get_frozen_credentials()
        credentials = {"AWS_ACCESS_KEY_ID": frozen.access_key,
                       "AWS_SECRET_ACCESS_KEY": frozen.secret_key, "AWS_REGION": "us-east-1"}

        def checkout(name, stack, images, **kw):
            return Checkout(tmp_path, name, stack, images, endpoint, credentials, domain_id, **kw)

        tiny_image(tmp_path / "kernels", "kernels")
        lab = write_image(tmp_path / "labs" / "lab", "FROM scratch\nCOPY marker /marker\n",
                          LAB_SPEC.format(name="lab", base_url="/jupyterlab/default"))
        (lab / "marker").write_text("1")
        scripts_a = lifecycle(tmp_path / "a-lifecycle", "a-setup", "KernelGateway")
        scripts_b = lifecycle(tmp_path / "b-lifecycle", "b-setup", "JupyterLab")
        team_a = checkout("a", "team-a", tmp_path / "kernels", lifecycle=scripts_a)
        team_b = checkout("b", "team-b", tmp_path / "labs", lifecycle=scripts_b)
        teams += [team_a, team_b]
        clone_of_a = checkout("a2", "team-a", tmp_path / "kernels", lock_timeout=1,
                              lifecycle=scripts_a)

        up_a, up_b = team_a.start("up", "--skip-validation"), team_b.start("up", "--skip-validation")
        seen = []
        for line in up_a.stdout:        # team A's apply holds its state's lock for over a minute
            seen.append(line)
            if "aws_sagemaker_image.this[0]: Creating..." in line:
                break
        refused = clone_of_a("up", "--skip-validation", check=False)
        assert refused.returncode != 0
        assert ("error: stack team-a (state team-state/team-a.tfstate): another run is deploying it "
                f"({who()} (stack team-a, since ") in refused.stderr, refused.stdout + refused.stderr
        assert "Traceback" not in refused.stderr
        finished(up_a, seen)
        out_b = finished(up_b, [])
        assert "lab: creating its JupyterLab AppImageConfig" in out_b

        assert lists(sm, domain_id) == {"KernelGatewayAppSettings": ["kernels", "other-team"],
                                        "JupyterLabAppSettings": ["lab", "their-lab"]}
        assert lifecycles(sm, domain_id) == {
            "KernelGatewayAppSettings": (["a-setup"], "a-setup"),
            "JupyterLabAppSettings": (["b-setup", "their-setup"], "b-setup")}
        config = sm.describe_app_image_config(AppImageConfigName="lab")
        assert config["JupyterLabAppImageConfig"] == {"ContainerConfig": {
            "ContainerEntrypoint": ["jupyter-lab"],
            "ContainerArguments": ["--ServerApp.base_url=/jupyterlab/default"]}}
        assert sm.list_tags(ResourceArn=config["AppImageConfigArn"])["Tags"] == [
            {"Key": "studio-containers:stack", "Value": "team-b"}]
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        assert keys == {"team-a.tfstate", "team-b.tfstate"}
        assert not dynamodb.scan(TableName=TABLE, FilterExpression="attribute_exists(Info)")["Items"]

        # The clone sees team A's state in S3: nothing to do, nothing duplicated.
        clone_of_a.cli.env["INVOKE_DEPLOY_LOCK_TIMEOUT"] = "60"
        assert "Nothing changed" in clone_of_a("up", "--skip-validation").stdout
        assert [v["Version"] for v in sm.list_image_versions(ImageName="kernels")["ImageVersions"]] == [1]

        (lab / "image.yaml").write_text(LAB_SPEC.format(name="lab", base_url="/jupyterlab/default/"))
        assert "lab: updating its JupyterLab AppImageConfig" in team_b("up", "--skip-validation").stdout
        assert "up to date" in team_b("status").stdout

        team_a("down")
        assert lists(sm, domain_id) == {"KernelGatewayAppSettings": ["other-team"],
                                        "JupyterLabAppSettings": ["lab", "their-lab"]}
        assert lifecycles(sm, domain_id) == {
            "KernelGatewayAppSettings": ([], None),
            "JupyterLabAppSettings": (["b-setup", "their-setup"], "b-setup")}
        team_b("down")
        assert lifecycles(sm, domain_id) == {"KernelGatewayAppSettings": ([], None),
                                             "JupyterLabAppSettings": (["their-setup"], None)}
        assert [c["StudioLifecycleConfigName"] for c in
                sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"]] == ["their-setup"]
        assert gone(lambda: sm.describe_app_image_config(AppImageConfigName="lab"))
        assert gone(lambda: sm.describe_image(ImageName="kernels"))
        assert sm.describe_app_image_config(AppImageConfigName="their-lab")
        assert lists(sm, domain_id) == {"KernelGatewayAppSettings": ["other-team"],
                                        "JupyterLabAppSettings": ["their-lab"]}
    finally:
        for team in teams:      # after a failure: what a team made goes before the shared AWS
            team("down", check=False, timeout=300)
        host("aws.stop", check=False)


def lifecycle(folder, name: str, app_type: str):
    """A lifecycle/ folder with one script, run by default for its app type."""
    folder.mkdir()
    (folder / f"{name}.sh").write_text(f"#!/bin/bash\necho {name}\n")
    (folder / f"{name}.yaml").write_text(f"app_types: [{app_type}]\ndefault: true\n")
    return folder


def lifecycles(sm, domain_id: str) -> dict:
    """Per app settings: the lifecycle configs listed (names without their digest), the default."""
    def name(arn):
        return None if arn is None else re.sub(r"-[0-9a-f]{8}$", "", arn.rsplit("/", 1)[-1])
    settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    return {key: (sorted(name(a) for a in value.get("LifecycleConfigArns", [])),
                  name((value.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")))
            for key, value in settings.items()
            if key.endswith("AppSettings") and "LifecycleConfigArns" in value}


def third_teams_domain(session, endpoint: str) -> str:
    """A domain that already offers a KernelGateway image and a JupyterLab image of a third team,
    and a lifecycle config of theirs to JupyterLab users."""
    sm, ec2 = (session.client(n, endpoint_url=endpoint) for n in ("sagemaker", "ec2"))
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    role = "arn:aws:iam::123456789012:role/other-team-role"
    domain_id = sm.create_domain(DomainName="shared", AuthMode="IAM", SubnetIds=[subnet], VpcId=vpc,
                                 DefaultUserSettings={"ExecutionRole": role})["DomainArn"].rsplit("/", 1)[-1]
    sm.create_image(ImageName="other-team", RoleArn=role)
    sm.create_app_image_config(AppImageConfigName="other-team", KernelGatewayImageConfig={
        "KernelSpecs": [{"Name": "ir"}]})
    sm.create_image(ImageName="their-lab", RoleArn=role)
    sm.create_app_image_config(AppImageConfigName="their-lab", JupyterLabAppImageConfig={})
    theirs = sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName="their-setup", StudioLifecycleConfigAppType="JupyterLab",
        StudioLifecycleConfigContent="ZWNobyB0aGVpcnMK")["StudioLifecycleConfigArn"]
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "other-team", "AppImageConfigName": "other-team"}]},
        "JupyterLabAppSettings": {"CustomImages": [
            {"ImageName": "their-lab", "AppImageConfigName": "their-lab"}],
            "LifecycleConfigArns": [theirs]}})
    return domain_id
