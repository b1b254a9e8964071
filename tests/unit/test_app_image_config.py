"""A spec and its AppImageConfig, both ways (app_image_config.py): every field of each app type
goes over and comes back, the API's own documents (create input, describe output) are read, and
what image.yaml cannot hold is refused naming the document's field."""
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator

from studio_containers.app_image_config import config_of, spec_data_of
from studio_containers.errors import UserError
from studio_containers.spec import ContainerConfig, Kernel, Reader, spec_of
from tests.helpers import made_up_spec

MODEL = botocore.session.get_session().get_service_model("sagemaker")

KERNEL_GATEWAY = made_up_spec(name="r-team", kernels=(Kernel("ir", "R (team)"),
                                                      Kernel("python3", "Python 3")),
                              uid=0, gid=0, mount_path="/home/work")
JUPYTER_LAB = made_up_spec(name="lab", app_type="JupyterLab", kernels=(), mount_path="/home/sagemaker-user",
                           container_config=ContainerConfig(
                               entrypoint=("start-lab",), arguments=("--debug", "--port=8888"),
                               environment=(("A", "1"), ("B", "two"))))
CODE_EDITOR = made_up_spec(name="ce", app_type="CodeEditor", kernels=(),
                           mount_path="/home/sagemaker-user")


def spec_back(data: dict):
    return spec_of(data, Path(data["name"]), Reader("image.yaml"))


def same_fields(a, b) -> bool:
    fields = ("name", "app_type", "platform", "kernels", "uid", "gid", "mount_path",
              "container_config")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


@pytest.mark.parametrize("spec", [KERNEL_GATEWAY, JUPYTER_LAB, CODE_EDITOR],
                         ids=lambda s: s.app_type)
def test_every_field_goes_over_and_comes_back(spec):
    config = config_of(spec)
    request = {"AppImageConfigName": spec.name, **config}
    ParamValidator().validate(request, MODEL.operation_model("CreateAppImageConfig").input_shape)
    back = spec_back(spec_data_of(request, "config.json"))
    assert same_fields(back, spec)


def test_what_the_kernel_gateway_config_holds():
    assert config_of(KERNEL_GATEWAY) == {"KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "ir", "DisplayName": "R (team)"},
                        {"Name": "python3", "DisplayName": "Python 3"}],
        "FileSystemConfig": {"MountPath": "/home/work", "DefaultUid": 0, "DefaultGid": 0}}}


def test_a_space_without_container_config_has_an_empty_member():
    assert config_of(CODE_EDITOR) == {"CodeEditorAppImageConfig": {}}
    assert spec_data_of({"AppImageConfigName": "ce", "CodeEditorAppImageConfig": {}},
                        "c.json") == {"name": "ce", "display_name": "ce", "app_type": "CodeEditor",
                                      "platform": "linux/amd64"}


def test_describe_output_and_create_input_both_read():
    describe = {"AppImageConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:app-image-config/x",
                "AppImageConfigName": "x", "CreationTime": "2026-01-01T00:00:00Z",
                "LastModifiedTime": "2026-01-02T00:00:00Z",
                "KernelGatewayImageConfig": {"KernelSpecs": [{"Name": "python3"}]},
                "ResponseMetadata": {"HTTPStatusCode": 200}}
    data = spec_data_of(describe, "d.json")
    assert data["kernels"] == [{"name": "python3"}]
    assert (data["user"], data["mount_path"]) == ({"uid": 1000, "gid": 100}, "/home/sagemaker-user")
    create = {"AppImageConfigName": "x", "Tags": [{"Key": "team", "Value": "a"}],
              "KernelGatewayImageConfig": {"KernelSpecs": [{"Name": "python3"}]}}
    assert spec_data_of(create, "c.json") == data
    assert spec_data_of(json.loads(json.dumps(create)), "c.json", name="renamed")["name"] == "renamed"


@pytest.mark.parametrize("document, message", [
    ([], r"c.json: \(top level\): must be a JSON object"),
    ({"AppImageConfigName": "x", "Foo": 1, "CodeEditorAppImageConfig": {}},
     "c.json: Foo: not a member of an AppImageConfig"),
    ({"AppImageConfigName": "x"}, "needs exactly one of .* found none"),
    ({"AppImageConfigName": "x", "CodeEditorAppImageConfig": {}, "JupyterLabAppImageConfig": {}},
     "found JupyterLabAppImageConfig, CodeEditorAppImageConfig"),
    ({"AppImageConfigName": "x", "JupyterLabAppImageConfig": {
        "FileSystemConfig": {"MountPath": "/home/other"}}},
     "JupyterLabAppImageConfig.FileSystemConfig.MountPath: '/home/other': image.yaml cannot hold"),
    ({"AppImageConfigName": "x", "CodeEditorAppImageConfig": {
        "FileSystemConfig": {"DefaultUid": 0}}},
     "CodeEditorAppImageConfig.FileSystemConfig.DefaultUid: 0: image.yaml cannot hold"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": f"k{i}"} for i in range(6)]}},
     "KernelGatewayImageConfig.KernelSpecs: has 6 kernels; Studio takes at most 5"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {"KernelSpecs": []}},
     "KernelGatewayImageConfig.KernelSpecs: must be a non-empty list"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {}},
     "KernelGatewayImageConfig.KernelSpecs: is required"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3", "Language": "py"}]}},
     r"KernelGatewayImageConfig.KernelSpecs\[0\].Language: unknown field"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "bad name"}]}},
     r"KernelGatewayImageConfig.KernelSpecs\[0\].Name: 'bad name' must be a kernelspec name"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "p"}], "FileSystemConfig": {"DefaultUid": 70000}}},
     "KernelGatewayImageConfig.FileSystemConfig.DefaultUid: 70000 is not a UID/GID"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "p"}], "FileSystemConfig": {"MountPath": "/opt/ml/home"}}},
     "KernelGatewayImageConfig.FileSystemConfig.MountPath: '/opt/ml/home' is inside /opt/ml"),
    ({"AppImageConfigName": "x", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "p"}], "ContainerConfig": {}}},
     "KernelGatewayImageConfig.ContainerConfig: unknown field"),
    ({"AppImageConfigName": "x", "JupyterLabAppImageConfig": {
        "ContainerConfig": {"ContainerEntrypoint": ["a", "b"]}}},
     "JupyterLabAppImageConfig.ContainerConfig.ContainerEntrypoint: has 2 items; Studio takes at most 1"),
    ({"AppImageConfigName": "x", "JupyterLabAppImageConfig": {
        "ContainerConfig": {"ContainerEnvironmentVariables": {"A": 1}}}},
     "JupyterLabAppImageConfig.ContainerConfig.ContainerEnvironmentVariables.A: must be a string"),
    ({"AppImageConfigName": "x", "JupyterLabAppImageConfig": {
        "ContainerConfig": {"Workdir": "/"}}},
     "JupyterLabAppImageConfig.ContainerConfig.Workdir: unknown field"),
    ({"AppImageConfigName": "not a name", "CodeEditorAppImageConfig": {}},
     "c.json: AppImageConfigName: 'not a name' must be 1-63 letters"),
    ({"CodeEditorAppImageConfig": {}}, "c.json: AppImageConfigName: is required"),
])
def test_what_image_yaml_cannot_hold_is_refused_by_the_documents_field(document, message):
    with pytest.raises(UserError, match=message):
        spec_data_of(document, "c.json")
