"""End to end: `invoke import` of images a team registered by hand, as the seed's notebooks do it.

With boto3 on the local AWS: two images built and pushed to the team's own ECR repository, each
a SageMaker Image with two ImageVersions (the first by tag, the second by digest) and an
AppImageConfig, attached to the domain next to another team's image. `import --dry-run` writes
nothing; `import` adopts both, a KernelGateway image and a JupyterLab image. Then `up` changes
nothing in AWS, `status` shows the adopted versions, a Dockerfile change makes version 3 in the
team's repository, `rollback` to the hand-made version 1 works, and the other team's image is
never touched. An image another stack owns is refused, naming that stack."""
import base64
import shutil

import docker
import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import Cli
from studio_containers.deploy.contract import TAG
from tests.e2e.test_deploy import clients, gone, other_teams_domain

ROLE = "arn:aws:iam::123456789012:role/team-ml-sagemaker"
SHIPPED = {"hand-kg": "python-basic", "hand-lab": "jupyterlab-python"}


@pytest.fixture
def cli(tmp_path):
    # No lifecycle scripts: the domain must be left exactly as the import found it.
    cli = Cli(tmp_path / "state", images_dir=tmp_path / "images", aws_repository_prefix="e2e",
              lifecycle_dir=tmp_path / "no-lifecycle")
    yield cli
    cli("down", check=False, timeout=300)
    cli("aws.stop", check=False)


def built_by_hand(tmp_path, name: str) -> str:
    """The team's image, built from a shipped folder under their own name (the tool's build)."""
    built = f"{name}-handmade"         # a name nothing else builds in this engine
    folder = tmp_path / "handmade" / built
    shutil.copytree(PROJECT_ROOT / "images" / SHIPPED[name], folder)
    spec = folder / "image.yaml"
    spec.write_text(spec.read_text().replace(f"name: {SHIPPED[name]}", f"name: {built}", 1))
    builder = Cli(tmp_path / "build-state", images_dir=tmp_path / "handmade")
    builder("build", "--image", built, timeout=None)
    return docker.from_env().images.get(f"studio-containers/{built}:latest").id


def push_by_hand(ecr, image_id: str, repository: str) -> tuple[str, str]:
    """docker push of the image to the team's repository as :v1; its URI and digest."""
    uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    username, password = base64.b64decode(token).decode().split(":", 1)
    client = docker.from_env()
    client.images.get(image_id).tag(uri, "v1")
    for line in client.images.push(uri, "v1", stream=True, decode=True,
                                   auth_config={"username": username, "password": password}):
        assert "error" not in line, line
    digest = ecr.describe_images(repositoryName=repository)["imageDetails"][0]["imageDigest"]
    return uri, digest


CONFIGS = {"hand-kg": "hand-kg", "hand-lab": "hand-lab-config", "other-team": "other-team"}


def register_by_hand(sm, name: str, versions: list[str], config: dict) -> None:
    """As the AWS samples do: versions by tag or digest, a config named as the team likes."""
    sm.create_image(ImageName=name, RoleArn=ROLE, DisplayName=f"{name} (team)",
                    Description="made by hand", Tags=[{"Key": "team", "Value": "ml"}])
    for base_image in versions:
        sm.create_image_version(ImageName=name, BaseImage=base_image)
    sm.create_app_image_config(AppImageConfigName=CONFIGS[name], **config)


def snapshot(sm, domain_id: str, names, times: bool = False) -> dict:
    """What AWS holds of the images and the domain; `times`: with their modification times
    (an import's tag moves them, nothing after it may)."""
    def without_times(answer):
        dropped = {"ResponseMetadata"} | (set() if times else {"LastModifiedTime"})
        return {k: v for k, v in answer.items() if k not in dropped}
    found = {"domain": sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]}
    for name in names:
        image = without_times(sm.describe_image(ImageName=name))
        found[name] = {
            "image": image,
            "tags": sorted(map(str, sm.list_tags(ResourceArn=image["ImageArn"])["Tags"])),
            "versions": [(v["Version"], v["ImageVersionStatus"]) for v in sm.list_image_versions(
                ImageName=name, SortBy="VERSION", SortOrder="ASCENDING")["ImageVersions"]],
            "config": without_times(sm.describe_app_image_config(
                AppImageConfigName=CONFIGS[name]))}
    return found


def test_import_adopts_hand_made_images_and_up_keeps_them(cli, tmp_path):
    aws = clients(cli)
    sm, ecr = aws["sagemaker"], aws["ecr"]
    domain_id = other_teams_domain(aws)
    cli.env["INVOKE_DEPLOY_DOMAIN_ID"] = domain_id
    kg_uri, kg_digest = push_by_hand(ecr, built_by_hand(tmp_path, "hand-kg"), "team/hand-kg")
    lab_uri, lab_digest = push_by_hand(ecr, built_by_hand(tmp_path, "hand-lab"), "team/hand-lab")
    # KernelGateway: version 1 by tag, 2 by digest, offered as "latest". JupyterLab: 1 by digest,
    # 2 by tag, a config named apart from the image, the domain offering the older version 1.
    register_by_hand(sm, "hand-kg", [f"{kg_uri}:v1", f"{kg_uri}@{kg_digest}"],
                     {"KernelGatewayImageConfig": {
                         "KernelSpecs": [{"Name": "python3", "DisplayName": "Python 3 (team)"}],
                         "FileSystemConfig": {"MountPath": "/home/sagemaker-user",
                                              "DefaultUid": 1000, "DefaultGid": 100}}})
    register_by_hand(sm, "hand-lab", [f"{lab_uri}@{lab_digest}", f"{lab_uri}:v1"],
                     {"JupyterLabAppImageConfig": {}})
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "other-team", "AppImageConfigName": "other-team"},
            {"ImageName": "hand-kg", "AppImageConfigName": "hand-kg"}]},
        "JupyterLabAppSettings": {"CustomImages": [
            {"ImageName": "hand-lab", "AppImageConfigName": "hand-lab-config",
             "ImageVersionNumber": 1}]}})
    other_before = sm.describe_image(ImageName="other-team")
    images = tmp_path / "images"

    unknown = cli("import", "--image", "nope", check=False)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "--image nope: domain" in unknown.stderr
    assert "it offers: hand-kg, hand-lab, other-team" in unknown.stderr
    before = snapshot(sm, domain_id, ["hand-kg", "hand-lab", "other-team"])
    unnamed = cli("import", check=False)           # a shared domain: only named images adopted
    assert unnamed.returncode == 1 and "--image: name the images to adopt" in unnamed.stderr
    assert "hand-kg" in unnamed.stdout and "can be adopted" in unnamed.stdout
    assert "other-team" in unnamed.stdout and "cannot:" in unnamed.stdout
    dry = cli("import", "--image", "hand-kg", "--image", "hand-lab", "--dry-run").stdout
    assert "Would import" in dry and "Dry run: nothing written" in dry
    assert "hand-kg" in dry and "team/hand-lab" in dry and "latest" in dry
    assert not images.exists()
    assert snapshot(sm, domain_id, ["hand-kg", "hand-lab", "other-team"]) == before

    cli("import", "--image", "hand-kg", "--image", "hand-lab")
    assert sorted(p.name for p in images.iterdir()) == ["hand-kg", "hand-lab"]
    assert (images / "hand-kg" / "Dockerfile").read_text().splitlines()[-1] == \
        f"FROM {kg_uri}@{kg_digest}"
    spec_text = (images / "hand-kg" / "image.yaml").read_text()
    assert "display_name: Python 3 (team)" in spec_text and "app_type: KernelGateway" in spec_text
    assert {"Key": TAG, "Value": "studio-containers"} in sm.list_tags(
        ResourceArn=sm.describe_image(ImageName="hand-kg")["ImageArn"])["Tags"]
    assert {k: v for k, v in snapshot(sm, domain_id, ["other-team"]).items()} == \
        {k: v for k, v in before.items() if k not in ("hand-kg", "hand-lab")}
    adopted = snapshot(sm, domain_id, ["hand-kg", "hand-lab", "other-team"], times=True)

    up = cli("up", timeout=None)
    assert f"hand-kg: still the image its adopted version runs ({kg_uri}@{kg_digest}); not " \
        "pushed" in up.stdout, up.stdout
    assert "No changes. Your infrastructure matches the configuration." in up.stdout, up.stdout
    assert "custom images and lifecycle configs updated" not in up.stdout
    assert "AppImageConfig" not in up.stdout
    assert snapshot(sm, domain_id, ["hand-kg", "hand-lab", "other-team"], times=True) == adopted
    status = cli("status").stdout
    assert "adopted; made by hand: version 1, 2" in status and "up to date" in status, status

    dockerfile = images / "hand-kg" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "ENV TEAM_RELEASE=3\n")
    changed = cli("up", timeout=None).stdout
    assert "version 2 stays available for rollback" in changed, changed
    versions = sm.list_image_versions(ImageName="hand-kg", SortBy="VERSION",
                                      SortOrder="ASCENDING")["ImageVersions"]
    assert [v["Version"] for v in versions] == [1, 2, 3]
    third = sm.describe_image_version(ImageName="hand-kg", Version=3)["BaseImage"]
    assert third.startswith(f"{kg_uri}@sha256:") and third != f"{kg_uri}@{kg_digest}"
    assert len(ecr.describe_images(repositoryName="team/hand-kg")["imageDetails"]) == 2
    assert snapshot(sm, domain_id, ["hand-lab"], times=True)["hand-lab"] == adopted["hand-lab"]

    cli("rollback", "--image", "hand-kg", "--version", "1")
    offered = {e["ImageName"]: e.get("ImageVersionNumber") for e in sm.describe_domain(
        DomainId=domain_id)["DefaultUserSettings"]["KernelGatewayAppSettings"]["CustomImages"]}
    assert offered == {"other-team": None, "hand-kg": 1}
    assert sm.describe_image_version(ImageName="hand-kg", Version=1)["BaseImage"] == f"{kg_uri}:v1"
    assert sm.describe_image(ImageName="other-team") | {"ResponseMetadata": None} == \
        other_before | {"ResponseMetadata": None}

    # down treats adopted images as this stack's: the Images and every version go, the team's
    # repositories and their images stay, and so does the other team's image.
    cli("down")
    assert gone(lambda: sm.describe_image(ImageName="hand-kg"))
    assert gone(lambda: sm.describe_app_image_config(AppImageConfigName="hand-lab-config"))
    assert len(ecr.describe_images(repositoryName="team/hand-kg")["imageDetails"]) == 2
    assert sm.describe_image(ImageName="other-team")["ImageStatus"] == "CREATED"


def refused(cli, *args) -> str:
    done = cli("import", *args, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_what_cannot_be_adopted_is_refused_in_one_line_writing_nothing(cli, tmp_path):
    aws = clients(cli)
    sm = aws["sagemaker"]
    domain_id = other_teams_domain(aws)
    cli.env["INVOKE_DEPLOY_DOMAIN_ID"] = "d-000000000000"
    assert "deploy.domain_id d-000000000000: no such SageMaker domain" in refused(cli)
    cli.env["INVOKE_DEPLOY_DOMAIN_ID"] = domain_id

    arn = sm.describe_image(ImageName="other-team")["ImageArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": TAG, "Value": "team-b"}])
    assert f"SageMaker Image other-team already exists and is not this stack's (tagged " \
        f"{TAG}=team-b: stack team-b's" in refused(cli, "--image", "other-team")

    # What image.yaml cannot hold otherwise (a space's FileSystemConfig, six kernels) the local
    # AWS refuses at CreateAppImageConfig already; the mapping's unit tests have it.
    sm.create_image(ImageName="two-kernels", RoleArn=ROLE)
    sm.create_app_image_config(AppImageConfigName="two-kernels", KernelGatewayImageConfig={
        "KernelSpecs": [{"Name": "python3"}, {"Name": "ir"}]})
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "other-team", "AppImageConfigName": "other-team"},
            {"ImageName": "two-kernels", "AppImageConfigName": "two-kernels"}]}})
    assert "AppImageConfig two-kernels: KernelGatewayImageConfig.KernelSpecs: 2 kernels" in \
        refused(cli, "--image", "two-kernels")
    (tmp_path / "images" / "two-kernels").mkdir(parents=True)
    assert "images/two-kernels: already exists" in refused(cli, "--image", "two-kernels")

    assert [p.name for p in (tmp_path / "images").iterdir()] == ["two-kernels"]
    assert not any((tmp_path / "images" / "two-kernels").iterdir())
    for name in ("other-team", "two-kernels"):
        image_arn = sm.describe_image(ImageName=name)["ImageArn"]
        assert {"Key": TAG, "Value": "studio-containers"} not in sm.list_tags(
            ResourceArn=image_arn)["Tags"]
    state = tmp_path / "state" / "terraform" / "local" / "stack" / "terraform.tfstate"
    assert not state.exists() or "module.image" not in state.read_text()
