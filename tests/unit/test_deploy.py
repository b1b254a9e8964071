"""Deploy logic without AWS: inputs checked first, domain merging, Terraform errors, the stack folder."""
from unittest import mock

import pytest
from invoke import Exit

from studio_containers.deploy import domain
from studio_containers.deploy.record import DeployRecord
from studio_containers.deploy.runner import _first_error
from studio_containers.deploy.stack import StackFolder, image_inputs
from studio_containers.deploy.targets import open_target
from studio_containers.errors import UserError
from studio_containers.spec import load_spec
from studio_containers.tasks import deploy as deploy_tasks
from tests.helpers import project_settings


class FakeSageMaker:
    def __init__(self, images):
        self.images = images
        self.updates = []

    def describe_domain(self, DomainId):
        return {"DefaultUserSettings": {"ExecutionRole": "r", "KernelGatewayAppSettings": {
            "CustomImages": list(self.images)}}}

    def update_domain(self, DomainId, DefaultUserSettings):
        self.images = DefaultUserSettings["KernelGatewayAppSettings"]["CustomImages"]
        self.updates.append(DefaultUserSettings)


def test_attach_keeps_other_teams_images_and_writes_only_on_change():
    theirs = {"ImageName": "theirs", "AppImageConfigName": "theirs"}
    sm = FakeSageMaker([theirs, {"ImageName": "ours", "AppImageConfigName": "ours",
                                 "ImageVersionNumber": 1}])
    ours = {"ours": {"AppImageConfigName": "ours", "ImageVersionNumber": 2}}
    assert domain.attach(sm, "d-1", ours, {"ours", "gone"})
    assert sm.images == [theirs, {"ImageName": "ours", "AppImageConfigName": "ours",
                                  "ImageVersionNumber": 2}]
    assert not domain.attach(sm, "d-1", ours, {"ours"})
    assert len(sm.updates) == 1
    assert domain.attach(sm, "d-1", {}, {"ours"})
    assert sm.images == [theirs]


def test_terraform_errors_name_the_resource_and_keep_terraforms_message():
    output = [
        "module.image[\"a\"].aws_sagemaker_image.this[0]: Creating...",
        "",
        "Error: error creating SageMaker Image a: ResourceInUse: Image a already exists.",
        "",
        "  with module.image[\"a\"].aws_sagemaker_image.this[0],",
        "  on ../modules/studio-image/main.tf line 56, in resource \"aws_sagemaker_image\" \"this\":",
    ]
    assert _first_error(output) == ('module.image["a"].aws_sagemaker_image.this[0]: error '
                                    'creating SageMaker Image a: ResourceInUse: Image a already '
                                    'exists.')
    boxed = ["│ Error: Invalid value for variable", "│ ", "│   on variables.tf line 3:"]
    assert _first_error(boxed) == "Invalid value for variable"
    assert _first_error(["", "something odd"]) == "something odd"


def test_stack_folder_copies_the_configuration_and_inits_only_when_it_changes(tmp_path):
    folder = StackFolder(tmp_path, "local")
    folder.sync("")
    assert (folder.stack / "main.tf").exists()
    assert (folder.root / "modules" / "studio-image" / "main.tf").exists()
    assert (folder.stack / ".terraform.lock.hcl").exists()
    assert folder.needs_init({})
    folder.mark_initialised({})
    assert not folder.needs_init({})
    assert folder.needs_init({"bucket": "b"})
    stale = folder.stack / "old.tf"
    stale.write_text("# removed upstream\n")
    folder.sync('terraform {\n  backend "s3" {}\n}\n')
    assert not stale.exists() and (folder.stack / "backend.tf").exists()
    assert folder.needs_init({})
    folder.sync("")
    assert not (folder.stack / "backend.tf").exists()


def test_image_inputs_come_from_the_spec():
    spec = load_spec(project_settings().images_dir / "python-basic")
    inputs = image_inputs(spec, "r/x@sha256:" + "0" * 64)
    assert inputs == {"display_name": spec.display_name, "base_image": "r/x@sha256:" + "0" * 64,
                      "kernels": [{"name": k.name, "display_name": k.display_name}
                                  for k in spec.kernels],
                      "mount_path": "/home/sagemaker-user", "uid": 1000, "gid": 100}


def test_aws_target_without_credentials_names_the_chain(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no traffic to the metadata address
    settings = project_settings(state_dir=str(tmp_path), deploy__domain_id="d-123456789012")
    with pytest.raises(UserError, match="no AWS credentials found; tried environment"):
        open_target(settings, "aws")


@pytest.mark.parametrize("call, message", [
    (lambda c: deploy_tasks.up(c, target="moon"), "--target moon: unknown target; allowed: local, aws"),
    (lambda c: deploy_tasks.up(c, target="aws"), "deploy.domain_id: required for --target aws"),
    (lambda c: deploy_tasks.down(c, target="moon"), "--target moon"),
    (lambda c: deploy_tasks.rollback(c, image="x", version="latest"), "--version latest"),
    (lambda c: deploy_tasks.up(c, image="nope"), "--image 'nope': no such image"),
])
def test_bad_deploy_input_is_one_line_before_any_cloud_call(context, exit_message, call, message):
    with mock.patch("studio_containers.deploy.flow.open_target") as target, \
            mock.patch("studio_containers.pipeline.open_workspace") as workspace:
        with pytest.raises(Exit) as info:
            call(context())
    assert message in exit_message(info)
    target.assert_not_called()
    workspace.assert_not_called()


def test_a_corrupt_deploy_record_is_refused(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "local.json").write_text("{broken")
    with pytest.raises(UserError, match="local.json: not valid JSON"):
        DeployRecord(tmp_path, "local")


@pytest.mark.parametrize("key, value", [("stack", "has space"), ("parallelism", 0),
                                        ("keep_last_images", "ten")])
def test_bad_deploy_settings_name_the_setting(key, value):
    with pytest.raises(UserError, match=f"deploy.{key}"):
        project_settings(**{f"deploy__{key}": value})
