"""The local AWS's own logic: constraint checks, Studio semantics, signatures, the shape check."""
from datetime import datetime, timedelta, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from studio_containers.errors import UserError
from studio_containers.localaws.sigv4 import SignatureError, verify
from studio_containers.localaws.models import StudioStore, page
from studio_containers.localaws.validation import constraint_errors, validation_message
from tests.aws_model import response_errors, service_model
from tests.helpers import project_settings

SM = service_model("sagemaker")


def test_constraints_come_from_the_model():
    errors = constraint_errors(SM.operation_model("CreateAppImageConfig"), {
        "AppImageConfigName": "bad name",
        "KernelGatewayImageConfig": {"KernelSpecs": [],
                                     "FileSystemConfig": {"DefaultUid": 70000}}})
    assert errors == [
        "Value 'bad name' at 'appImageConfigName' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        "Value '[...]' at 'kernelGatewayImageConfig.kernelSpecs' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        "Value '70000' at 'kernelGatewayImageConfig.fileSystemConfig.defaultUid' failed to "
        "satisfy constraint: Member must have value less than or equal to 65535"]
    assert validation_message(errors).startswith("3 validation errors detected: Value 'bad")
    missing = constraint_errors(SM.operation_model("CreateImage"), {"ImageName": "ok"})
    assert missing == ["Value null at 'roleArn' failed to satisfy constraint: Member must not "
                       "be null"]
    assert constraint_errors(SM.operation_model("CreateImage"), {
        "ImageName": "ok-name.1", "RoleArn": "arn:aws:iam::123456789012:role/r"}) == []


def _store_with_image() -> StudioStore:
    store = StudioStore("123456789012", "us-east-1")
    store.create_image("img", "arn:aws:iam::123456789012:role/r", None, "desc", None)
    return store


def found(reference):
    return f"resolved/{reference}", None


def test_image_versions_grow_are_idempotent_per_token_and_pick_latest():
    store = _store_with_image()
    one = store.create_image_version("img", "r/a:1", "t1", None, {}, found)
    same = store.create_image_version("img", "r/a:1", "t1", None, {}, found)
    two = store.create_image_version("img", "r/a:2", "t2", ["stable"], {"JobType": None}, found)
    assert (one.version, same.version, two.version) == (1, 1, 2)
    assert "JobType" not in two.describe()
    with pytest.raises(ValidationError, match="different BaseImage"):
        store.create_image_version("img", "r/a:9", "t1", None, {}, found)
    with pytest.raises(ValidationError, match="Alias stable is already used"):
        store.create_image_version("img", "r/a:3", "t3", ["stable"], {}, found)
    assert store.image_version("img").version == 2
    assert store.image_version("img", alias="stable").version == 2
    store.delete_image_version("img", 2, None)
    assert store.create_image_version("img", "r/a:3", "t4", None, {}, found).version == 3
    failed = store.create_image_version("img", "r/a:4", "t5", None, {},
                                        lambda ref: (None, "no such image"))
    assert (failed.status, failed.failure_reason, failed.container_image) == (
        "CREATE_FAILED", "no such image", None)
    store.delete_image("img")
    with pytest.raises(ResourceNotFound, match="No Image with the name img"):
        store.image_version("img")


def test_image_names_are_unique_and_updates_follow_delete_properties():
    store = _store_with_image()
    with pytest.raises(ResourceInUseException):
        store.create_image("img", "arn:aws:iam::123456789012:role/r", None, None, None)
    image = store.update_image("img", ["Description"], {"DisplayName": "Shown"})
    assert (image.description, image.display_name) == (None, "Shown")
    with pytest.raises(ValidationError, match="both updated and deleted"):
        store.update_image("img", ["DisplayName"], {"DisplayName": "x"})


@pytest.mark.parametrize("configs, message", [
    ({"KernelGatewayImageConfig": {"KernelSpecs": [{"Name": "k"}],
                                   "FileSystemConfig": {"DefaultUid": 0}}}, r"\(0, 100\)"),
    ({"KernelGatewayImageConfig": {"KernelSpecs": [{"Name": "k"}]},
      "JupyterLabAppImageConfig": {}}, "Only one of"),
    ({"JupyterLabAppImageConfig": {"FileSystemConfig": {"MountPath": "/home/x"}}},
     "not supported for JupyterLabAppImageConfig"),
])
def test_app_image_configs_are_checked_as_studio_does(configs, message):
    with pytest.raises(ValidationError, match=message):
        StudioStore("1", "r").create_app_image_config("c", configs, None)


def test_file_system_config_gets_studio_defaults():
    store = StudioStore("1", "r")
    config = store.create_app_image_config("c", {"KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "k"}], "FileSystemConfig": {"DefaultUid": 0, "DefaultGid": 0}}},
        None)
    assert config.configs["KernelGatewayImageConfig"]["FileSystemConfig"] == {
        "MountPath": "/home/sagemaker-user", "DefaultUid": 0, "DefaultGid": 0}


def test_custom_images_must_exist_and_fit_the_app():
    store = _store_with_image()
    store.create_app_image_config("lab", {"JupyterLabAppImageConfig": {}}, None)
    with pytest.raises(ValidationError, match="has no KernelGatewayImageConfig"):
        store.check_custom_images({"CustomImages": [
            {"ImageName": "img", "AppImageConfigName": "lab"}]}, "KernelGatewayAppSettings")
    with pytest.raises(ResourceNotFound):
        store.check_custom_images({"CustomImages": [
            {"ImageName": "img", "ImageVersionNumber": 4, "AppImageConfigName": "lab"}]},
            "JupyterLabAppSettings")


def test_pages_and_bad_tokens():
    items = list(range(5))
    first, token = page(items, 2, None)
    second, token2 = page(items, 2, token)
    last, end = page(items, 2, token2)
    assert (first, second, last, end) == ([0, 1], [2, 3], [4], None)
    with pytest.raises(ValidationError, match="NextToken"):
        page(items, 2, "!!not-a-token")


def _signed_environ(key="AKIAEXAMPLE", secret="s3cret", body=b"Action=GetCallerIdentity",
                    when=None):
    request = AWSRequest(method="POST", url="http://127.0.0.1:5566/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    signer = SigV4Auth(Credentials(key, secret), "sts", "us-east-1")
    if when is None:
        signer.add_auth(request)
    else:
        request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        request.headers["X-Amz-Date"] = request.context["timestamp"]
        canonical = signer.canonical_request(request)
        sig = signer.signature(signer.string_to_sign(request, canonical), request)
        scope = f"{key}/{request.context['timestamp'][:8]}/us-east-1/sts/aws4_request"
        request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={scope}, "
                                            f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, "
                                            f"Signature={sig}")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "",
               "HTTP_HOST": "127.0.0.1:5566", "CONTENT_TYPE": request.headers["Content-Type"],
               "CONTENT_LENGTH": str(len(body))}
    for name, value in request.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def test_signature_is_checked_over_what_was_signed():
    body = b"Action=GetCallerIdentity"
    verify(_signed_environ(body=body), body, "AKIAEXAMPLE", "s3cret")
    cases = {
        "InvalidClientTokenId": (_signed_environ(key="AKIAOTHER"), body),
        "SignatureDoesNotMatch": (_signed_environ(secret="guess"), body),
    }
    tampered = _signed_environ(body=body)
    cases["SignatureDoesNotMatch "] = (tampered, b"Action=DeleteEverything")
    stale = _signed_environ(when=datetime.now(timezone.utc) - timedelta(hours=1))
    cases["SignatureDoesNotMatch  "] = (stale, body)
    cases["MissingAuthenticationToken"] = ({"REQUEST_METHOD": "POST"}, body)
    for code, (environ, sent) in cases.items():
        with pytest.raises(SignatureError) as caught:
            verify(environ, sent, "AKIAEXAMPLE", "s3cret")
        assert caught.value.code == code.strip()


def test_the_shape_check_catches_unknown_missing_and_mistyped_members():
    describe = SM.operation_model("DescribeImage")
    assert response_errors(describe, b'{"ImageName": "x", "CreationTime": 1700000000.5}') == []
    errors = response_errors(describe, b'{"ImageName": 7, "Surprise": 1}')
    assert any("Unknown parameter" in e and "Surprise" in e for e in errors)
    assert any("Invalid type for parameter ImageName" in e for e in errors)
    tags = SM.operation_model("ListTags")
    assert any("Missing required parameter" in e for e in response_errors(
        tags, b'{"Tags": [{"Value": "no key"}]}'))


@pytest.mark.parametrize("key, value, message", [
    ("region", "mars-1", "aws.region"),
    ("port", 70000, "aws.port"),
    ("registry_port", "x", "aws.registry_port"),
    ("repository_prefix", "Team/Images", "aws.repository_prefix"),
])
def test_bad_aws_settings_name_the_setting(key, value, message):
    with pytest.raises(UserError, match=message):
        project_settings(**{f"aws__{key}": value})
