"""A new image folder (image_folder.py, `invoke new`): each app type's folder loads as a spec and
is the shipped example's build, an AppImageConfig's kernels and user reach the Dockerfile, and bad
input or an existing folder ends in one line with nothing written."""
import json
import os
from pathlib import Path

import pytest

from studio_containers import image_folder
from studio_containers.errors import UserError
from studio_containers.image_folder import (
    NEW_APP_TYPES,
    default_image,
    folder_files,
    image_from_config,
    make_folder,
)
from studio_containers.spec import load_spec

IMAGES = Path(__file__).resolve().parents[2] / "images"
# Each template and the shipped example whose build it is (README and image.yaml differ).
SHIPPED = {"KernelGateway": ("python-basic", {"Dockerfile"}),
           "JupyterLab": ("jupyterlab-python", {"start-jupyterlab"}),
           "CodeEditor": ("code-editor",
                          {"Dockerfile", "serve-code-editor.js", "start-code-editor"})}


def files_of(image) -> dict:
    return {name: (text, mode) for name, text, mode in folder_files(image)}


@pytest.mark.parametrize("app_type", NEW_APP_TYPES)
def test_a_new_folder_loads_and_is_the_shipped_examples_build(app_type, tmp_path):
    folder = make_folder(tmp_path, default_image("team-x", app_type))
    spec = load_spec(folder)
    assert (spec.name, spec.app_type, spec.uid, spec.gid) == ("team-x", app_type, 1000, 100)
    assert "ARG BASE_IMAGE" in (folder / "Dockerfile").read_text()
    assert "team-x" in (folder / "README.md").read_text()
    example, same = SHIPPED[app_type]
    shipped = IMAGES / example
    for name in same:
        assert (folder / name).read_text() == (shipped / name).read_text(), name
        assert (folder / name).stat().st_mode & 0o111 == (shipped / name).stat().st_mode & 0o111
    assert [p.name for p in tmp_path.iterdir()] == ["team-x"]          # no staging left


def test_a_kernel_gateway_config_gives_its_kernels_user_and_home(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "AppImageConfigName": "their-config",
        "KernelGatewayImageConfig": {
            "KernelSpecs": [{"Name": "conda-env-py", "DisplayName": "Team's \"Python\""},
                            {"Name": "ir"}],
            "FileSystemConfig": {"MountPath": "/root", "DefaultUid": 0, "DefaultGid": 0}}}))
    image = image_from_config("team-r", config)
    dockerfile = files_of(image)["Dockerfile"][0]
    assert "--name conda-env-py --display-name 'Team'\"'\"'s \"Python\"' \\\n" in dockerfile
    assert "--name ir --display-name \"ir\" \\\n" in dockerfile
    assert "USER 0:0\n" in dockerfile and "WORKDIR /root\n" in dockerfile
    assert "useradd" not in dockerfile
    assert "`their-config`" in files_of(image)["README.md"][0]
    spec = load_spec(make_folder(tmp_path / "images", image))
    assert [(k.name, k.display_name) for k in spec.kernels] == [
        ("conda-env-py", "Team's \"Python\""), ("ir", "ir")]
    assert (spec.uid, spec.gid, spec.mount_path) == (0, 0, "/root")


def test_a_home_elsewhere_is_the_users_home(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3"}],
        "FileSystemConfig": {"MountPath": "/home/work", "DefaultUid": 1000, "DefaultGid": 100}}}))
    dockerfile = files_of(image_from_config("x", config))["Dockerfile"][0]
    assert "useradd --create-home --home-dir /home/work " in dockerfile
    assert "USER ${NB_UID}:${NB_GID}\n" in dockerfile and "WORKDIR /home/work\n" in dockerfile


def test_a_space_config_keeps_its_container_config(tmp_path):
    config = tmp_path / "describe.json"
    config.write_text(json.dumps({
        "AppImageConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:app-image-config/lab",
        "AppImageConfigName": "lab", "CreationTime": "2026-01-01T00:00:00Z",
        "JupyterLabAppImageConfig": {"ContainerConfig": {
            "ContainerArguments": ["--ServerApp.base_url=/jupyterlab/default"],
            "ContainerEnvironmentVariables": {"TEAM": "ml"}}}}))
    spec = load_spec(make_folder(tmp_path / "images", image_from_config("team-lab", config)))
    assert spec.container_config.arguments == ("--ServerApp.base_url=/jupyterlab/default",)
    assert spec.container_config.environment == (("TEAM", "ml"),)
    assert (tmp_path / "images" / "team-lab" / "start-jupyterlab").is_file()


def bad(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda t: default_image("bad_name", "KernelGateway"), "NAME 'bad_name': must be 1-63"),
    (lambda t: default_image("x", "JupyterServer"),
     "--app-type 'JupyterServer': not one invoke new makes; allowed: KernelGateway, JupyterLab, "
     "CodeEditor"),
    (lambda t: image_from_config("x", t / "missing.json"), "--from .*missing.json: no such file"),
    (lambda t: image_from_config("x", bad(t, "{\n  'a'")),
     "--from .*c.json: line 2 column 3: not valid JSON"),
    (lambda t: image_from_config("x", bad(t, '{"JupyterLabAppImageConfig": {"FileSystemConfig": '
                                             '{"MountPath": "/data"}}}')),
     "JupyterLabAppImageConfig.FileSystemConfig.MountPath: '/data': image.yaml cannot hold it"),
    (lambda t: image_from_config("x", bad(t, json.dumps({"KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": f"k{i}"} for i in range(6)]}}))),
     "KernelGatewayImageConfig.KernelSpecs: has 6 kernels; Studio takes at most 5"),
    (lambda t: image_from_config("x", bad(t, '{"CodeEditorAppImageConfig": {}}'), "JupyterLab"),
     "--app-type JupyterLab: .*c.json holds a CodeEditor AppImageConfig"),
])
def test_bad_input_is_one_line_and_nothing_is_written(make, message, tmp_path):
    with pytest.raises(UserError, match=message) as error:
        make_folder(tmp_path / "images", make(tmp_path))
    assert "\n" not in str(error.value)
    assert not (tmp_path / "images").exists()


def test_an_existing_folder_is_never_touched(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"/x: already exists; a folder is never written "
                                        "into once it exists"):
        make_folder(tmp_path, default_image("x", "JupyterLab"))
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["x"]


def test_a_folder_made_meanwhile_wins_and_nothing_is_left(tmp_path, monkeypatch):
    def made_meanwhile(source, target):
        Path(target).mkdir()
        (Path(target) / "theirs").write_text("")
        return os.rename(source, target)
    monkeypatch.setattr(image_folder.os, "rename", made_meanwhile)
    with pytest.raises(UserError, match="/x: cannot be written"):
        make_folder(tmp_path, default_image("x", "KernelGateway"))
    assert [p.name for p in tmp_path.iterdir()] == ["x"]
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["theirs"]
