"""Adopted images (adopted.py, import_images.py): an input the user has not changed keeps its live
value, a changed one is applied; the build is the adopted image only while the folder is as the
import wrote it (image.yaml and README aside); a domain that offered the latest keeps doing so
until a rollback pins a version; ECR references are read as AWS writes them."""
from pathlib import Path

import pytest

from studio_containers.build.images import BuiltImage
from studio_containers.deploy import adopted
from studio_containers.deploy.deployment import Deployment
from studio_containers.deploy.import_images import IMAGE_REFERENCE
from studio_containers.deploy.push import PushedImage
from tests.helpers import made_up_spec

DIGEST = "sha256:" + "a" * 64
URI = "127.0.0.1:5000/team/hand-kg"


def record(folder: Path, **changes) -> dict:
    entry = {"repository": "team/hand-kg", "repository_uri": URI, "repository_arn": "arn:repo",
             "reference": f"{URI}:v1", "digest": DIGEST,
             "fingerprint": adopted.fingerprint(folder),
             "as_written": {"display_name": "hand-kg", "base_image": f"{URI}:v1",
                            "kernels": [{"name": "python3", "display_name": "python3"}]},
             "live": {"display_name": None, "base_image": f"{URI}:v1",
                      "kernels": [{"name": "python3", "display_name": None}],
                      "role_arn": "arn:role", "description": "by hand", "tags": {"team": "ml"},
                      "repository_arn": "arn:repo", "app_image_config_name": "hand-kg-config"},
             "offers_latest": True, "versions": [1, 2], "config_name": "hand-kg-config",
             "pinned_at_import": None, **changes}
    return {"hand-kg": {"version": 2, "pinned": None, "app_type": "KernelGateway",
                        "adopted": entry}}


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "hand-kg"
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM {URI}@{DIGEST}\n")
    (folder / "image.yaml").write_text("name: hand-kg\n")
    (folder / "README.md").write_text("adopted\n")
    return folder


def built(folder: Path) -> BuiltImage:
    return BuiltImage(spec=made_up_spec(name="hand-kg", folder=folder), ref="r", content_hash="h",
                      image_id="i", rebuilt=True)


def test_unchanged_inputs_keep_their_live_values_and_changed_ones_apply(folder):
    images = record(folder)
    from_spec = {"display_name": "hand-kg", "base_image": f"{URI}:v1",
                 "kernels": [{"name": "python3", "display_name": "python3"}],
                 "role_arn": None, "description": None, "tags": {}, "repository_arn": None,
                 "app_image_config_name": None}
    assert adopted.inputs(images, "hand-kg", from_spec) == images["hand-kg"]["adopted"]["live"]
    renamed = adopted.inputs(images, "hand-kg", {**from_spec, "display_name": "Team R"})
    assert renamed["display_name"] == "Team R" and renamed["role_arn"] == "arn:role"
    assert adopted.inputs(images, "other", from_spec) == from_spec


def test_the_build_is_the_adopted_image_only_while_the_folder_is_as_written(folder):
    images = record(folder)
    kept = adopted.unchanged(images, built(folder))
    assert kept is not None and kept.image_uri == f"{URI}:v1" and not kept.pushed
    (folder / "image.yaml").write_text("name: hand-kg\ndisplay_name: Team\n")
    (folder / "README.md").write_text("notes\n")
    assert adopted.unchanged(images, built(folder)) is not None      # not the image's content
    (folder / "Dockerfile").write_text(f"FROM {URI}@{DIGEST}\nENV A=1\n")
    assert adopted.unchanged(images, built(folder)) is None
    assert adopted.repositories(images) == {"hand-kg": "team/hand-kg"}


def test_a_domain_that_offered_the_latest_keeps_doing_so_until_a_rollback_pins(folder):
    entries = Deployment.domain_entries
    holder = type("D", (), {"record": type("R", (), {"images": record(folder)})()})()
    assert entries(holder) == {"hand-kg": {"AppType": "KernelGateway",
                                           "AppImageConfigName": "hand-kg-config"}}
    holder.record.images["hand-kg"]["pinned"] = 1
    assert entries(holder)["hand-kg"]["ImageVersionNumber"] == 1
    holder.record.images["hand-kg"]["pinned"] = None
    holder.record.images["hand-kg"]["adopted"]["offers_latest"] = False
    assert entries(holder)["hand-kg"]["ImageVersionNumber"] == 2


@pytest.mark.parametrize("reference, parts", [
    (f"{URI}@{DIGEST}", ("127.0.0.1:5000", "team/hand-kg", DIGEST, None)),
    (f"{URI}:v1", ("127.0.0.1:5000", "team/hand-kg", None, "v1")),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:latest",
     ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "r", None, "latest")),
])
def test_ecr_references_are_read_as_aws_writes_them(reference, parts):
    match = IMAGE_REFERENCE.fullmatch(reference)
    assert (match["registry"], match["repository"], match["digest"], match["tag"]) == parts


@pytest.mark.parametrize("reference", ["python:3.11", "r@sha256:abc", "host/r:bad tag"])
def test_what_is_not_an_ecr_reference_is_not_read_as_one(reference):
    assert IMAGE_REFERENCE.fullmatch(reference) is None


def test_a_version_the_domain_named_at_the_import_stays_until_the_folder_changes(folder):
    images = record(folder, pinned_at_import=1)
    kept = adopted.unchanged(images, built(folder))
    assert adopted.pinned_while_unchanged(images, kept) == 1
    pushed = PushedImage("hand-kg", URI, "h", "sha256:" + "b" * 64, pushed=True)
    assert adopted.pinned_while_unchanged(images, pushed) is None
    assert adopted.config_name(images, "hand-kg") == "hand-kg-config"
    assert adopted.config_name(images, "other") == "other"
