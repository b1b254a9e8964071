"""The bad-input corpus of the local AWS API: requests botocore would never send.

A body that is not JSON (or not UTF-8), a member of the wrong type, a number outside its type, a
string over the model's length, an operation that does not exist: each is an HTTP 400 with an
AWS-style error naming the member (never a 500, which SDKs and Terraform retry), and it changes
nothing (the backends, pickled as the state file is, stay byte for byte the same).

Most cases run on moto in this process with our API installed; the requests are made by boto3
(parameter validation off, the body then replaced before it is signed). The server's own cases
(the WSGI layer, the signature, the state file on disk) run against a local AWS of their own on
free ports, with raw requests signed by botocore's SigV4Auth.
"""
import copy
import hashlib
import json
import os
import re
from unittest import mock

import boto3
from botocore import xform_name
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from studio_containers.localaws.control import LocalAws
from studio_containers.localaws.server.persistence import StateFile
from studio_containers.ports import free_port
from tests.aws_model import service_model
from tests.helpers import project_settings
from tests.unit.localaws.conftest import REGION, ROLE, install_patches

UNCHECKED = Config(parameter_validation=False, retries={"total_max_attempts": 1})
TARGET_PREFIX = {"sagemaker": "SageMaker", "ecr": "AmazonEC2ContainerRegistry_V20150921"}


class Launcher:
    """Apps are never started here: what would be launched is only recorded."""

    def __init__(self):
        self.launched = []

    def launch(self, app):
        self.launched.append(app)

    def stop(self, app):
        app.status = "Deleted"

    def url(self, app):
        return None


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """moto with our API, the unknown-operation answer and the type checks, as the server has
    them; a domain "DOMAIN" with image "img" (version 1, config "cfg"), profile "ana". One for
    the module: a refused request changes nothing, which each case checks."""
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        _install(patch)
        yield _populate(tmp_path_factory.mktemp("api"))


def _install(patch: pytest.MonkeyPatch) -> None:
    install_patches(patch, {"sagemaker", "apps", "protocol"}, launcher=Launcher(),
                    resolve_image=lambda reference: (f"resolved/{reference}", None))


def _populate(folder) -> dict:
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_image(ImageName="img", RoleArn=ROLE)
    sm.create_image_version(ImageName="img", BaseImage="r/img:1")
    sm.create_app_image_config(AppImageConfigName="cfg", KernelGatewayImageConfig={
        "KernelSpecs": [{"Name": "python3"}]})
    arn = sm.create_domain(DomainName="team", AuthMode="IAM",
                           DefaultUserSettings={"ExecutionRole": ROLE},
                           SubnetIds=["subnet-1"], VpcId="vpc-1")["DomainArn"]
    sm.create_user_profile(DomainId=arn.rsplit("/", 1)[-1], UserProfileName="ana")
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="team/img")
    boto3.client("iam", region_name=REGION).list_roles()
    boto3.client("sts", region_name=REGION).get_caller_identity()
    return {"domain": arn.rsplit("/", 1)[-1], "state": StateFile(folder / "state.bin")}


def send(service: str, operation: str, body, target: str | None = None) -> dict:
    """The raw request to `operation` (its body replaced, bytes or JSON-able) and the answer:
    HTTP status, error code and message ({} codes on success)."""
    client = boto3.client(service, region_name=REGION, config=UNCHECKED)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() \
        if not isinstance(body, str) else body.encode()

    def replace(params, **kwargs):
        params["body"] = raw
        if target is not None:
            params["headers"]["X-Amz-Target"] = target
    client.meta.events.register_first(f"before-call.{service}", replace)
    method = getattr(client, _snake(operation))
    try:
        answer = method()
    except ClientError as exc:
        return {"status": exc.response["ResponseMetadata"]["HTTPStatusCode"],
                "code": exc.response["Error"]["Code"], "message": exc.response["Error"]["Message"]}
    return {"status": answer["ResponseMetadata"]["HTTPStatusCode"], "code": None, "message": ""}


def _snake(operation: str) -> str:
    return xform_name(operation)


def refused_without_change(api, service: str, operation: str, body, target=None) -> dict:
    state = api["state"]
    state.save()                       # the backends as they are before the request
    answer = send(service, operation, body, target)
    assert 400 <= answer["status"] < 500, answer
    assert answer["code"] and answer["message"], answer
    assert state.save() is False, f"{operation} changed the backends: {answer}"
    return answer


# (case, service, operation, body, code, what the message must name)
CASES = [
    ("not JSON", "sagemaker", "CreateImage", b"{ImageName: img2", "SerializationException",
     "not JSON"),
    ("not UTF-8", "sagemaker", "CreateImage", b'{"ImageName": "caf\xe9"}',
     "SerializationException", "not UTF-8"),
    ("a JSON array", "sagemaker", "CreateImage", b"[]", "SerializationException",
     "must be a JSON object, not a list"),
    ("a JSON string", "sagemaker", "ListImages", b'"x"', "SerializationException",
     "must be a JSON object, not a string"),
    ("deep nesting", "sagemaker", "ListImages", b"[" * 100000 + b"]" * 100000,
     "SerializationException", "not JSON"),
    ("name a number", "sagemaker", "CreateImage", {"ImageName": 5, "RoleArn": ROLE},
     "SerializationException", "value 5 at 'imageName' must be a string"),
    ("name a list", "sagemaker", "DescribeImage", {"ImageName": ["img"]},
     "SerializationException", "at 'imageName' must be a string, not a list"),
    ("tags a string", "sagemaker", "CreateImage", {"ImageName": "img2", "RoleArn": ROLE,
                                                   "Tags": "team=a"},
     "SerializationException", "at 'tags' must be a list"),
    ("tag a string", "sagemaker", "CreateImage", {"ImageName": "img2", "RoleArn": ROLE,
                                                  "Tags": ["team=a"]},
     "SerializationException", "at 'tags.1.member' must be a structure"),
    ("max results a word", "sagemaker", "ListImages", {"MaxResults": "ten"},
     "SerializationException", "at 'maxResults' must be a whole number, not a string"),
    ("max results true", "sagemaker", "ListImages", {"MaxResults": True},
     "SerializationException", "at 'maxResults' must be a whole number, not a boolean"),
    ("max results 1.5", "sagemaker", "ListImageVersions", {"ImageName": "img", "MaxResults": 1.5},
     "SerializationException", "at 'maxResults' must be a whole number"),
    ("version too big", "sagemaker", "DescribeImageVersion", {"ImageName": "img",
                                                              "Version": 2**40},
     "SerializationException", "at 'version' is out of range for an integer"),
    ("version negative", "sagemaker", "DescribeImageVersion", {"ImageName": "img", "Version": -1},
     "ValidationException", "at 'version' failed to satisfy constraint"),
    ("time a word", "sagemaker", "ListImages", {"CreationTimeAfter": "yesterday"},
     "SerializationException", "at 'creationTimeAfter' must be a timestamp"),
    ("kernel specs a string", "sagemaker", "CreateAppImageConfig", {
        "AppImageConfigName": "c2", "KernelGatewayImageConfig": {"KernelSpecs": "python3"}},
     "SerializationException", "at 'kernelGatewayImageConfig.kernelSpecs' must be a list"),
    ("uid a string", "sagemaker", "CreateAppImageConfig", {
        "AppImageConfigName": "c2", "KernelGatewayImageConfig": {
            "KernelSpecs": [{"Name": "python3"}], "FileSystemConfig": {"DefaultUid": "1000"}}},
     "SerializationException",
     "at 'kernelGatewayImageConfig.fileSystemConfig.defaultUid' must be a whole number"),
    ("environment a list", "sagemaker", "CreateAppImageConfig", {
        "AppImageConfigName": "c2", "JupyterLabAppImageConfig": {"ContainerConfig": {
            "ContainerEnvironmentVariables": ["A=1"]}}}, "SerializationException",
     "at 'jupyterLabAppImageConfig.containerConfig.containerEnvironmentVariables' must be a map"),
    ("environment value a number", "sagemaker", "UpdateAppImageConfig", {
        "AppImageConfigName": "cfg", "JupyterLabAppImageConfig": {"ContainerConfig": {
            "ContainerEnvironmentVariables": {"A": 1}}}}, "SerializationException",
     "containerEnvironmentVariables.A.value' must be a string"),
    ("settings a string", "sagemaker", "UpdateDomain", {"DomainId": "DOMAIN",
                                                        "DefaultUserSettings": "none"},
     "SerializationException", "at 'defaultUserSettings' must be a structure"),
    ("custom image version a word", "sagemaker", "UpdateDomain", {
        "DomainId": "DOMAIN", "DefaultUserSettings": {"KernelGatewayAppSettings": {
            "CustomImages": [{"ImageName": "img", "AppImageConfigName": "cfg",
                              "ImageVersionNumber": "latest"}]}}}, "SerializationException",
     "kernelGatewayAppSettings.customImages.1.member.imageVersionNumber' must be a whole number"),
    ("profile name a mapping", "sagemaker", "CreateUserProfile", {
        "DomainId": "DOMAIN", "UserProfileName": {"name": "bo"}}, "SerializationException",
     "at 'userProfileName' must be a string, not a structure"),
    ("app type a number", "sagemaker", "CreateApp", {
        "DomainId": "DOMAIN", "UserProfileName": "ana", "AppType": 1, "AppName": "a"},
     "SerializationException", "at 'appType' must be a string"),
    ("image name too long", "sagemaker", "CreateImage", {"ImageName": "i" * 64, "RoleArn": ROLE},
     "ValidationException", "at 'imageName' failed to satisfy constraint: Member must have "
                            "length less than or equal to 63"),
    ("description too long", "sagemaker", "CreateImage", {
        "ImageName": "img2", "RoleArn": ROLE, "Description": "d" * 513}, "ValidationException",
     "at 'description' failed to satisfy constraint: Member must have length less than or "
     "equal to 512"),
    ("kernel name too long", "sagemaker", "CreateAppImageConfig", {
        "AppImageConfigName": "c2", "KernelGatewayImageConfig": {
            "KernelSpecs": [{"Name": "k" * 1025}]}}, "ValidationException",
     "at 'kernelGatewayImageConfig.kernelSpecs.1.member.name'"),
    ("51 arguments", "sagemaker", "CreateAppImageConfig", {
        "AppImageConfigName": "c2", "JupyterLabAppImageConfig": {"ContainerConfig": {
            "ContainerArguments": ["a"] * 51}}}, "ValidationException",
     "at 'jupyterLabAppImageConfig.containerConfig.containerArguments' failed to satisfy "
     "constraint: Member must have length less than or equal to 50"),
    ("profile name too long", "sagemaker", "CreateUserProfile", {
        "DomainId": "DOMAIN", "UserProfileName": "u" * 64}, "ValidationException",
     "at 'userProfileName' failed to satisfy constraint"),
    ("max results 1000", "sagemaker", "ListImages", {"MaxResults": 1000}, "ValidationException",
     "at 'maxResults' failed to satisfy constraint: Member must have value less than or equal "
     "to 100"),
    ("repository name a number", "ecr", "CreateRepository", {"repositoryName": 5},
     "SerializationException", "at 'repositoryName' must be a string"),
    ("image ids a string", "ecr", "BatchDeleteImage", {"repositoryName": "team/img",
                                                      "imageIds": "latest"},
     "SerializationException", "at 'imageIds' must be a list"),
    ("lifecycle policy a mapping", "ecr", "PutLifecyclePolicy", {
        "repositoryName": "team/img", "lifecyclePolicyText": {"rules": []}},
     "SerializationException", "at 'lifecyclePolicyText' must be a string"),
    ("role duration a word", "iam", "CreateRole",
     "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D"
     "&MaxSessionDuration=an-hour", "ValidationError",
     "at 'maxSessionDuration' must be a whole number"),
    ("role duration beyond an integer", "iam", "CreateRole",
     "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D"
     "&MaxSessionDuration=99999999999", "ValidationError",
     "at 'maxSessionDuration' is out of range"),
]
UNKNOWN = [
    ("unknown sagemaker operation", "sagemaker", "ListImages", "SageMaker.PleaseDeployEverything",
     "UnknownOperationException", "sagemaker:PleaseDeployEverything"),
    ("unknown ecr operation", "ecr", "DescribeRepositories",
     "AmazonEC2ContainerRegistry_V20150921.Nope", "UnknownOperationException", "ecr:Nope"),
]


@pytest.mark.parametrize("case, service, operation, body, code, named", CASES,
                         ids=[c[0] for c in CASES])
def test_a_bad_request_is_a_400_naming_the_member(api, case, service, operation, body, code,
                                                  named):
    if isinstance(body, dict):
        body = json.loads(json.dumps(body).replace("DOMAIN", api["domain"]))
    answer = refused_without_change(api, service, operation, body)
    assert answer["code"] == code, answer
    assert named in answer["message"], answer


@pytest.mark.parametrize("case, service, operation, target, code, named", UNKNOWN,
                         ids=[c[0] for c in UNKNOWN])
def test_an_unknown_operation_is_a_400_naming_it(api, case, service, operation, target, code,
                                                 named):
    answer = refused_without_change(api, service, operation, b"{}", target=target)
    assert (answer["code"], named in answer["message"]) == (code, True), answer


def test_an_unknown_query_action_is_a_400_naming_it(api):
    answer = refused_without_change(api, "sts", "GetCallerIdentity",
                                    "Action=PleaseGiveMeKeys&Version=2011-06-15")
    assert answer["code"] == "InvalidAction" and "sts:PleaseGiveMeKeys" in answer["message"]


def test_good_requests_still_pass_the_checks(api):
    """The checks refuse only what the model does not allow: real clients' requests pass."""
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.update_image(ImageName="img", DisplayName="Image", Description="d")
    sm.list_images(CreationTimeAfter=0, MaxResults=5, SortBy="IMAGE_NAME")
    sm.create_app_image_config(AppImageConfigName="good-lab", JupyterLabAppImageConfig={
        "ContainerConfig": {"ContainerEntrypoint": ["jupyter-lab"],
                            "ContainerArguments": ["--port", "8888"],
                            "ContainerEnvironmentVariables": {"A": "1"}}})
    assert send("sagemaker", "ListImages", {"CreationTimeAfter": "2024-01-01T00:00:00Z",
                                            "MaxResults": 3})["status"] == 200
    boto3.client("iam", region_name=REGION).create_role(
        RoleName="good-role", AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)
    boto3.client("ecr", region_name=REGION).put_lifecycle_policy(
        repositoryName="team/img", lifecyclePolicyText=json.dumps({"rules": [{
            "rulePriority": 1, "description": "keep the last ten",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"}}]}))


# Generated: one member of a good request given a value of another type, an integer beyond its
# type, or a string over the model's length.

SM = service_model("sagemaker")
ECR = service_model("ecr")
GOOD = [
    (SM, "CreateImage", {"ImageName": "gen", "RoleArn": ROLE, "DisplayName": "Gen",
                         "Description": "d", "Tags": [{"Key": "k", "Value": "v"}]}),
    (SM, "CreateImageVersion", {"ImageName": "img", "BaseImage": "r/img:2", "ClientToken": "t",
                                "Aliases": ["a1"], "Horovod": False, "ReleaseNotes": "n"}),
    (SM, "DescribeImageVersion", {"ImageName": "img", "Version": 1}),
    (SM, "ListImages", {"MaxResults": 10, "NameContains": "i", "SortBy": "IMAGE_NAME",
                        "CreationTimeAfter": 0}),
    (SM, "CreateAppImageConfig", {"AppImageConfigName": "gen", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3", "DisplayName": "P"}],
        "FileSystemConfig": {"MountPath": "/home/sagemaker-user", "DefaultUid": 1000,
                             "DefaultGid": 100}}}),
    (SM, "UpdateAppImageConfig", {"AppImageConfigName": "cfg", "JupyterLabAppImageConfig": {
        "ContainerConfig": {"ContainerEntrypoint": ["x"], "ContainerArguments": ["a"],
                            "ContainerEnvironmentVariables": {"A": "1"}}}}),
    (SM, "UpdateDomain", {"DomainId": "DOMAIN", "DefaultUserSettings": {
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "img", "AppImageConfigName": "cfg", "ImageVersionNumber": 1}]}}}),
    (SM, "CreateUserProfile", {"DomainId": "DOMAIN", "UserProfileName": "gen"}),
    (SM, "CreateApp", {"DomainId": "DOMAIN", "UserProfileName": "ana", "AppType": "KernelGateway",
                       "AppName": "img", "ResourceSpec": {"SageMakerImageArn": "x",
                                                          "InstanceType": "system"}}),
    (ECR, "CreateRepository", {"repositoryName": "gen", "imageTagMutability": "MUTABLE",
                               "tags": [{"Key": "k", "Value": "v"}]}),
]


def _members(shape, value, path=(), dotted=""):
    """(where in the request, the shape there, the path AWS names) for each member given."""
    found = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, item in value.items():
            member = shape.members[name]
            named = f"{dotted}.{name[:1].lower()}{name[1:]}" if dotted else \
                f"{name[:1].lower()}{name[1:]}"
            found.append((path + (name,), member, named))
            found += _members(member, item, path + (name,), named)
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            named = f"{dotted}.{index + 1}.member"
            found.append((path + (index,), shape.member, named))
            found += _members(shape.member, item, path + (index,), named)
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            found.append((path + (key,), shape.value, f"{dotted}.{key}.value"))
    return found


LETTERS = st.text(alphabet="xyz", min_size=1, max_size=6)   # never a number or a date
OTHER_TYPES = {
    "string": st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=False,
                                                                allow_infinity=False),
                        st.lists(st.integers(), max_size=2), st.just({"a": 1})),
    "integer": st.one_of(LETTERS, st.booleans(), st.just(1.5), st.lists(st.integers(), max_size=2),
                         st.integers(min_value=2**31), st.integers(max_value=-2**31 - 1)),
    "long": st.one_of(LETTERS, st.booleans(), st.integers(min_value=2**63)),
    "boolean": st.one_of(LETTERS, st.integers(), st.just([True])),
    "timestamp": st.one_of(LETTERS, st.booleans(), st.just([0]), st.just({"at": 0})),
    "list": st.one_of(LETTERS, st.integers(), st.booleans(), st.just({"a": 1})),
    "structure": st.one_of(LETTERS, st.integers(), st.booleans(), st.just([{"a": 1}])),
    "map": st.one_of(LETTERS, st.integers(), st.just(["a=1"])),
}


@st.composite
def bad_requests(draw):
    """(service, operation, request body, the member path the answer must name, its code)."""
    model, operation, good = draw(st.sampled_from(GOOD))
    shape = model.operation_model(operation).input_shape
    path, member, named = draw(st.sampled_from(_members(shape, good)))
    limit = member.metadata.get("max")
    oversize = member.type_name == "string" and limit is not None and limit < 4096 and \
        model is SM and draw(st.booleans())
    if oversize:
        value, code = "a" * (limit + draw(st.integers(1, 20))), "ValidationException"
    else:
        value, code = draw(OTHER_TYPES[member.type_name]), "SerializationException"
    body = copy.deepcopy(good)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return model.service_name, operation, body, named, code


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=bad_requests())
def test_generated_bad_members_are_400s_naming_them(api, request):
    service, operation, body, named, code = request
    body = json.loads(json.dumps(body).replace("DOMAIN", api["domain"]))
    answer = refused_without_change(api, service, operation, body)
    assert answer["code"] == code, (request, answer)
    assert f"'{named}'" in answer["message"], (request, answer)


# The server itself: WSGI, signature and the state file on disk.

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A local AWS of this module's own (free ports, own state folder), always stopped."""
    folder = tmp_path_factory.mktemp("bad-requests")
    with mock.patch.dict(os.environ, {"DOCKER_HOST": "unix:///nonexistent.sock"}):
        local = LocalAws(project_settings(state_dir=str(folder), aws__port=free_port(),
                                          aws__registry_port=free_port()))
        try:
            endpoint = local.start()
            sm = endpoint.client("sagemaker")
            sm.create_image(ImageName="img", RoleArn=ROLE)
            yield local, endpoint
        finally:
            local.stop()


def signed(endpoint, service: str, body: bytes, headers: dict) -> requests.Response:
    request = AWSRequest(method="POST", url=endpoint.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(endpoint.credentials.access_key_id,
                          endpoint.credentials.secret_access_key), service,
              endpoint.region).add_auth(request)
    return requests.post(endpoint.url + "/", data=body, headers=dict(request.headers), timeout=30)


def _digest(local: LocalAws) -> str:
    return hashlib.sha256(local.state_file.read_bytes()).hexdigest()


JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}
SERVER_CASES = [
    ("not JSON", "sagemaker", b"{ImageName: x", {"X-Amz-Target": "SageMaker.CreateImage"},
     "SerializationException", "sagemaker:CreateImage: the request body is not JSON"),
    ("not UTF-8", "sagemaker", b"\xff\xfe\x00\x01", {"X-Amz-Target": "SageMaker.CreateImage"},
     "SerializationException", "not UTF-8"),
    ("a JSON array", "sagemaker", b"[1, 2]", {"X-Amz-Target": "SageMaker.DeleteImage"},
     "SerializationException", "must be a JSON object, not a list"),
    ("tags a string", "sagemaker",
     json.dumps({"ImageName": "img2", "RoleArn": ROLE, "Tags": "a"}).encode(),
     {"X-Amz-Target": "SageMaker.CreateImage"}, "SerializationException", "at 'tags'"),
    ("version too big", "sagemaker", b'{"ImageName": "img", "Version": 99999999999999999999}',
     {"X-Amz-Target": "SageMaker.DescribeImageVersion"}, "SerializationException",
     "at 'version' is out of range"),
    ("name too long", "sagemaker", json.dumps({"ImageName": "n" * 64, "RoleArn": ROLE}).encode(),
     {"X-Amz-Target": "SageMaker.CreateImage"}, "ValidationException", "at 'imageName'"),
    ("unknown operation", "sagemaker", b"{}", {"X-Amz-Target": "SageMaker.DropEverything"},
     "UnknownOperationException", "sagemaker:DropEverything"),
    ("ecr name a number", "ecr", b'{"repositoryName": 7}',
     {"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.CreateRepository"},
     "SerializationException", "at 'repositoryName' must be a string"),
]


@pytest.mark.parametrize("case, service, body, headers, code, named", SERVER_CASES,
                         ids=[c[0] for c in SERVER_CASES])
def test_the_server_answers_a_bad_request_with_a_400_and_keeps_its_state(server, case, service,
                                                                         body, headers, code,
                                                                         named):
    local, endpoint = server
    before = _digest(local)
    answer = signed(endpoint, service, body, {**JSON_HEADERS, **headers})
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["__type"] == code, error
    assert named in (error.get("message") or error.get("Message")), error
    assert _digest(local) == before            # nothing written, not even moto's empty backends


def test_the_server_answers_a_bad_query_request_in_xml(server):
    local, endpoint = server
    before = _digest(local)
    answer = signed(endpoint, "iam", b"Action=CreateRole&Version=2010-05-08&RoleName=r"
                                     b"&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=x",
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert "<Code>ValidationError</Code>" in answer.text and "maxSessionDuration" in answer.text
    assert _digest(local) == before


def test_after_the_bad_requests_the_server_serves_and_logged_no_error(server):
    local, endpoint = server
    assert [i["ImageName"] for i in endpoint.client("sagemaker").list_images()["Images"]] == ["img"]
    log = local.server.log_file.read_text()
    assert "Traceback" not in log and "Exception on" not in log
