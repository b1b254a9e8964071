"""The import's write step (import_images._adopt) with a fake Terraform runner and SageMaker
client: what it imports, writes, records and tags for one image, and that a failure at any
point, Ctrl-C included, leaves none of it behind (an image in the state but not in the record
would be destroyed by the next `up`)."""
from types import SimpleNamespace

import pytest

from studio_containers.deploy.contract import TAG
from studio_containers.deploy.import_images import Found, _adopt
from studio_containers.deploy.record import DeployRecord

URI = "127.0.0.1:5000/team/hand-lab"
DIGEST = "sha256:" + "c" * 64


class Runner:
    def __init__(self, fail_on: str | None = None):
        self.state, self.fail_on = {}, fail_on

    def import_resource(self, address, resource_id):
        if address == self.fail_on:
            raise KeyboardInterrupt
        self.state[address] = resource_id

    def state_rm(self, address):
        self.state.pop(address)


class Sm:
    def __init__(self, refuse_tags_on: str | None = None):
        self.tags, self.refuse = {}, refuse_tags_on

    def add_tags(self, ResourceArn, Tags):
        if ResourceArn == self.refuse:
            raise RuntimeError("AccessDenied")
        self.tags.setdefault(ResourceArn, []).extend(Tags)

    def delete_tags(self, ResourceArn, TagKeys):
        self.tags[ResourceArn] = [t for t in self.tags[ResourceArn] if t["Key"] not in TagKeys]


def deployment(tmp_path, runner, sm):
    record = DeployRecord(tmp_path / "state", "local")
    written = []
    return SimpleNamespace(
        runner=runner, sm=sm, record=record, inputs=written,
        settings=SimpleNamespace(images_dir=tmp_path / "images", deploy_stack="team-a"),
        previous_inputs=lambda: {}, write_inputs=lambda repos, images: written.append(images))


def found() -> Found:
    return Found(
        name="hand-lab", app_type="JupyterLab",
        image={"ImageArn": "arn:image/hand-lab", "RoleArn": "arn:role", "DisplayName": "Lab"},
        tags=[{"Key": "team", "Value": "ml"}], versions=[{"Version": 1}, {"Version": 2}],
        current={"Version": 2, "BaseImage": f"{URI}:v1"},
        config={"AppImageConfigArn": "arn:config/lab-config", "JupyterLabAppImageConfig": {}},
        config_name="lab-config",
        data={"name": "hand-lab", "display_name": "Lab", "app_type": "JupyterLab",
              "platform": "linux/amd64"},
        repository={"repositoryName": "team/hand-lab", "repositoryUri": URI,
                    "repositoryArn": "arn:repo"},
        digest=DIGEST, offers_latest=False, offered_version=1)


def test_one_image_imported_written_recorded_and_tagged(tmp_path):
    d = deployment(tmp_path, Runner(), Sm())
    _adopt(d, [found()], "d-1")
    assert sorted(d.runner.state) == ['module.image["hand-lab"].aws_sagemaker_image.this[0]',
                                      'module.image["hand-lab"].aws_sagemaker_image_version.this[0]']
    assert (tmp_path / "images" / "hand-lab" / "Dockerfile").read_text().endswith(
        f"FROM {URI}@{DIGEST}\n")
    entry = DeployRecord(tmp_path / "state", "local").images["hand-lab"]
    assert (entry["version"], entry["pinned"], entry["image_uri"]) == (2, 1, f"{URI}:v1")
    assert entry["adopted"]["config_name"] == "lab-config"
    assert entry["inputs"]["app_image_config_name"] == "lab-config"
    assert entry["inputs"]["tags"] == {"team": "ml"} and entry["inputs"]["display_name"] == "Lab"
    assert d.sm.tags == {arn: [{"Key": TAG, "Value": "team-a"}]
                         for arn in ("arn:image/hand-lab", "arn:config/lab-config")}


@pytest.mark.parametrize("runner, sm", [
    (Runner(fail_on='module.image["hand-lab"].aws_sagemaker_image_version.this[0]'), Sm()),
    (Runner(), Sm(refuse_tags_on="arn:config/lab-config")),
], ids=["ctrl-c-during-the-imports", "a-tag-refused"])
def test_a_failure_leaves_nothing_behind(tmp_path, runner, sm):
    d = deployment(tmp_path, runner, sm)
    d.record.data["images"]["kept"] = {"version": 1}
    d.record.save()
    with pytest.raises((KeyboardInterrupt, RuntimeError)):
        _adopt(d, [found()], "d-1")
    assert runner.state == {}
    assert not (tmp_path / "images" / "hand-lab").exists()
    assert DeployRecord(tmp_path / "state", "local").images == {"kept": {"version": 1}}
    assert all(TAG not in {t["Key"] for t in tags} for tags in sm.tags.values())
    assert d.inputs[-1] == {}                      # the inputs as they were

