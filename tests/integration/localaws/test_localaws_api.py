"""The local AWS's Studio API through boto3, checked against botocore's SageMaker model."""
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from studio_containers.localaws.server.constraints import shape_errors
from tests.aws_model import RawResponses, request_errors, response_errors, service_model

KERNEL_GATEWAY = {"KernelSpecs": [{"Name": "python3", "DisplayName": "Python 3 (team)"}],
                  "FileSystemConfig": {"MountPath": "/home/sagemaker-user",
                                       "DefaultUid": 1000, "DefaultGid": 100}}


@pytest.fixture(scope="module")
def sm(aws):
    return aws[1].client("sagemaker")


@pytest.fixture(scope="module")
def role(aws):
    iam = aws[1].client("iam")
    return iam.create_role(RoleName="studio-image-role",
                           AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                "Statement": []}))["Role"]["Arn"]


@pytest.fixture(scope="module")
def domain_id(aws, role):
    ec2 = aws[1].client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    arn = aws[1].client("sagemaker").create_domain(
        DomainName="fidelity", AuthMode="IAM", DefaultUserSettings={"ExecutionRole": role},
        SubnetIds=[subnet], VpcId=vpc)["DomainArn"]
    return arn.rsplit("/", 1)[-1]


def test_every_studio_operation_matches_the_botocore_model(aws, role, domain_id):
    client = aws[1].client("sagemaker")
    raw = RawResponses(client)
    model = service_model("sagemaker")
    # Capitals in the image name: AWS lower-cases them in ARNs, and the model's patterns say so.
    calls = [
        ("CreateImage", {"ImageName": "Fid-Image", "RoleArn": role, "DisplayName": "Fid",
                         "Description": "d", "Tags": [{"Key": "team", "Value": "a"}]}),
        ("DescribeImage", {"ImageName": "Fid-Image"}),
        ("UpdateImage", {"ImageName": "Fid-Image", "DisplayName": "Fid 2",
                         "DeleteProperties": ["Description"]}),
        ("ListImages", {"NameContains": "fid", "SortBy": "IMAGE_NAME", "SortOrder": "ASCENDING"}),
        ("CreateImageVersion", {"ImageName": "Fid-Image", "BaseImage": "elsewhere/x:1",
                                "ClientToken": "token-1", "JobType": "NOTEBOOK_KERNEL",
                                "Processor": "CPU", "Horovod": False}),
        ("CreateImageVersion", {"ImageName": "Fid-Image", "BaseImage": "elsewhere/x:2",
                                "ClientToken": "token-2", "Aliases": ["stable"]}),
        ("DescribeImageVersion", {"ImageName": "Fid-Image"}),
        ("DescribeImageVersion", {"ImageName": "Fid-Image", "Version": 1}),
        ("DescribeImageVersion", {"ImageName": "Fid-Image", "Alias": "stable"}),
        ("UpdateImageVersion", {"ImageName": "Fid-Image", "Alias": "stable",
                                "AliasesToAdd": ["v2.0"], "AliasesToDelete": ["stable"],
                                "VendorGuidance": "STABLE", "MLFramework": "PyTorch 2.3",
                                "ProgrammingLang": "Python 3.11", "ReleaseNotes": "n"}),
        ("ListAliases", {"ImageName": "Fid-Image"}),
        ("ListAliases", {"ImageName": "Fid-Image", "Version": 2, "MaxResults": 1}),
        ("ListImageVersions", {"ImageName": "Fid-Image", "SortBy": "VERSION", "MaxResults": 1}),
        ("CreateAppImageConfig", {"AppImageConfigName": "fid-kg",
                                  "KernelGatewayImageConfig": KERNEL_GATEWAY,
                                  "Tags": [{"Key": "team", "Value": "a"}]}),
        ("CreateAppImageConfig", {"AppImageConfigName": "fid-lab", "JupyterLabAppImageConfig": {
            "ContainerConfig": {"ContainerArguments": ["--x"], "ContainerEntrypoint": ["lab"],
                                "ContainerEnvironmentVariables": {"A": "1"}}}}),
        ("DescribeAppImageConfig", {"AppImageConfigName": "fid-kg"}),
        ("DescribeAppImageConfig", {"AppImageConfigName": "fid-lab"}),
        ("UpdateAppImageConfig", {"AppImageConfigName": "fid-kg", "KernelGatewayImageConfig": {
            "KernelSpecs": [{"Name": "python3"}, {"Name": "ir", "DisplayName": "R"}]}}),
        ("ListAppImageConfigs", {"NameContains": "fid", "SortBy": "Name"}),
        ("UpdateDomain", {"DomainId": domain_id, "DefaultUserSettings": {
            "KernelGatewayAppSettings": {"CustomImages": [
                {"ImageName": "Fid-Image", "ImageVersionNumber": 1,
                 "AppImageConfigName": "fid-kg"}]},
            "JupyterLabAppSettings": {"CustomImages": [
                {"ImageName": "Fid-Image", "AppImageConfigName": "fid-lab"}]}}}),
        ("DescribeDomain", {"DomainId": domain_id}),
        ("AddTags", {"ResourceArn": "IMAGE_ARN", "Tags": [{"Key": "team", "Value": "b"}]}),
        ("ListTags", {"ResourceArn": "IMAGE_ARN"}),
        ("DeleteTags", {"ResourceArn": "IMAGE_ARN", "TagKeys": ["team"]}),
        ("AddTags", {"ResourceArn": "VERSION_ARN", "Tags": [{"Key": "build", "Value": "1"}]}),
        ("ListTags", {"ResourceArn": "VERSION_ARN"}),
        ("AddTags", {"ResourceArn": "CONFIG_ARN", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("ListTags", {"ResourceArn": "CONFIG_ARN"}),
        ("ListTags", {"ResourceArn": "DOMAIN_ARN"}),
        ("UpdateDomain", {"DomainId": domain_id, "DefaultUserSettings": {
            "KernelGatewayAppSettings": {"CustomImages": []},
            "JupyterLabAppSettings": {"CustomImages": []}}}),
        ("DeleteImageVersion", {"ImageName": "Fid-Image", "Version": 2}),
        ("DeleteAppImageConfig", {"AppImageConfigName": "fid-lab"}),
        ("DeleteImage", {"ImageName": "Fid-Image"}),
    ]
    arns = {"IMAGE_ARN": "arn:aws:sagemaker:{r}:123456789012:image/fid-image",
            "VERSION_ARN": "arn:aws:sagemaker:{r}:123456789012:image-version/fid-image/1",
            "CONFIG_ARN": "arn:aws:sagemaker:{r}:123456789012:app-image-config/fid-kg",
            "DOMAIN_ARN": "arn:aws:sagemaker:{r}:123456789012:domain/" + domain_id}
    problems = []
    for operation, params in calls:
        if params.get("ResourceArn") in arns:
            params = {**params, "ResourceArn": arns[params["ResourceArn"]].format(r=aws[1].region)}
        op_model = model.operation_model(operation)
        problems += [f"{operation} request: {e}" for e in request_errors(op_model, params)]
        getattr(client, op_model.metadata.get("x", None) or _snake(operation))(**params)
        name, body = raw.bodies[-1]
        assert name == operation
        problems += [f"{operation} response: {e}" for e in response_errors(op_model, body)]
        # ParamValidator ignores patterns, enums and lengths; AWS's answers keep them.
        problems += [f"{operation} response: {e}"
                     for e in shape_errors(op_model.output_shape, json.loads(body or b"{}"))]
    assert problems == []
    # Every operation of the list was walked.
    walked = {op for op, _ in calls}
    assert walked >= {f"{verb}{noun}" for noun in ("Image", "ImageVersion", "AppImageConfig")
                      for verb in ("Create", "Describe", "Update", "Delete")} | {
        "ListImages", "ListAppImageConfigs", "ListImageVersions", "ListAliases", "UpdateDomain",
        "AddTags", "ListTags", "DeleteTags"}


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def test_versions_are_numbered_per_image_and_never_reused(sm, role):
    sm.create_image(ImageName="numbers", RoleArn=role)
    first = sm.create_image_version(ImageName="numbers", BaseImage="x/y:1")
    again = sm.create_image_version(ImageName="numbers", BaseImage="x/y:1", ClientToken="same")
    retry = sm.create_image_version(ImageName="numbers", BaseImage="x/y:1", ClientToken="same")
    assert first["ImageVersionArn"].endswith("/numbers/1")
    assert again["ImageVersionArn"].endswith("/numbers/2")
    assert retry == again or retry["ImageVersionArn"] == again["ImageVersionArn"]
    sm.delete_image_version(ImageName="numbers", Version=2)
    third = sm.create_image_version(ImageName="numbers", BaseImage="x/y:3")
    assert third["ImageVersionArn"].endswith("/numbers/3")
    assert sm.describe_image_version(ImageName="numbers")["Version"] == 3
    listed = sm.list_image_versions(ImageName="numbers", SortBy="VERSION",
                                    SortOrder="ASCENDING")["ImageVersions"]
    assert [v["Version"] for v in listed] == [1, 3]
    # A base image that is not in the local ECR cannot be used: the version fails, as on AWS.
    failed = sm.describe_image_version(ImageName="numbers", Version=3)
    assert failed["ImageVersionStatus"] == "CREATE_FAILED" and "x/y:3" in failed["FailureReason"]


def test_list_pages_with_next_token(sm, role):
    for n in range(5):
        sm.create_image(ImageName=f"page-{n}", RoleArn=role)
    names, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sm.list_images(NameContains="page-", MaxResults=2, SortBy="IMAGE_NAME",
                              SortOrder="ASCENDING", **kwargs)
        names += [i["ImageName"] for i in page["Images"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"page-{n}" for n in range(5)]


def test_update_domain_replaces_custom_images_and_keeps_other_settings(sm, role, domain_id):
    sm.create_image(ImageName="team-a", RoleArn=role)
    sm.create_image(ImageName="team-b", RoleArn=role)
    sm.create_app_image_config(AppImageConfigName="team-kg", KernelGatewayImageConfig=KERNEL_GATEWAY)
    for image in ("team-a", "team-b"):
        sm.update_domain(DomainId=domain_id, DefaultUserSettings={"KernelGatewayAppSettings": {
            "CustomImages": [{"ImageName": image, "AppImageConfigName": "team-kg"}]}})
    settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    assert settings["ExecutionRole"] == role
    assert [c["ImageName"] for c in settings["KernelGatewayAppSettings"]["CustomImages"]] == [
        "team-b"]


ROLE = "arn:aws:iam::123456789012:role/studio-image-role"
ERRORS = [
    ("invalid image name", "create_image", {"ImageName": "bad_name", "RoleArn": ROLE},
     "ValidationException", "regular expression pattern"),
    ("image name too long", "create_image", {"ImageName": "a" * 64, "RoleArn": ROLE},
     "ValidationException", "length less than or equal to 63"),
    ("duplicate image", "create_image", {"ImageName": "dup", "RoleArn": ROLE},
     "ResourceInUse", "already exists"),
    ("missing image", "describe_image", {"ImageName": "missing"},
     "ResourceNotFound", "does not exist"),
    ("version of a missing image", "create_image_version",
     {"ImageName": "missing", "BaseImage": "x/y:1"}, "ResourceNotFound", "No Image with the name"),
    ("missing version", "describe_image_version", {"ImageName": "dup", "Version": 9},
     "ResourceNotFound", "No ImageVersion with the name"),
    ("invalid config name", "create_app_image_config", {"AppImageConfigName": "a.b"},
     "ValidationException", "regular expression pattern"),
    ("uid/gid pair", "create_app_image_config", {"AppImageConfigName": "uid", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3"}],
        "FileSystemConfig": {"DefaultUid": 1001, "DefaultGid": 100}}},
     "ValidationException", "(1000, 100) and (0, 0)"),
    ("uid above range", "create_app_image_config", {"AppImageConfigName": "uid", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3"}],
        "FileSystemConfig": {"DefaultUid": 70000, "DefaultGid": 100}}},
     "ValidationException", "less than or equal to 65535"),
    ("mount path not absolute", "create_app_image_config", {"AppImageConfigName": "mnt", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3"}], "FileSystemConfig": {"MountPath": "home"}}},
     "ValidationException", "regular expression pattern"),
    ("file system config for JupyterLab", "create_app_image_config", {"AppImageConfigName": "lab", "JupyterLabAppImageConfig": {
        "FileSystemConfig": {"MountPath": "/home/sagemaker-user"}}},
     "ValidationException", "FileSystemConfig is not supported"),
    ("too many kernels", "create_app_image_config", {"AppImageConfigName": "many", "KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": f"k{n}"} for n in range(6)]}},
     "ValidationException", "length less than or equal to 5"),
    ("missing config", "describe_app_image_config", {"AppImageConfigName": "missing"},
     "ResourceNotFound", "does not exist"),
    ("domain lists a missing image", "update_domain", {"DomainId": "DOMAIN", "DefaultUserSettings": {
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "missing", "AppImageConfigName": "missing"}]}}},
     "ResourceNotFound", "does not exist"),
    ("missing domain", "describe_domain", {"DomainId": "d-000000000000"},
     "ResourceNotFound", "Cannot find Domain d-000000000000"),
    ("bad sort key", "list_images", {"SortBy": "SIZE"},
     "ValidationException", "enum value set"),
]


@pytest.mark.parametrize("case, method, params, code, fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_those_aws_returns(sm, role, domain_id, case, method, params, code, fragment):
    if case == "duplicate image" or case == "missing version":
        try:
            sm.create_image(ImageName="dup", RoleArn=role)
        except ClientError:
            pass
    if params.get("DomainId") == "DOMAIN":
        params = {**params, "DomainId": domain_id}
    with pytest.raises(ClientError) as caught:
        getattr(sm, method)(**params)
    error = caught.value.response["Error"]
    assert (error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)
    assert fragment in error["Message"]


def test_requests_without_our_signature_are_refused(aws):
    local, endpoint = aws
    unsigned = requests.post(endpoint.url, data="Action=GetCallerIdentity&Version=2011-06-15",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status_code == 403 and b"MissingAuthenticationToken" in unsigned.content
    from dataclasses import replace
    stranger = replace(endpoint, credentials=replace(endpoint.credentials,
                                                     secret_access_key="not-the-secret"))
    with pytest.raises(ClientError) as caught:
        stranger.client("sts").get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert requests.get(f"{endpoint.url}/moto-api/").status_code == 404
    assert requests.get(f"http://{endpoint.registry_host}/v2/").status_code == 401


def test_restart_keeps_every_resource_unchanged(aws, role, domain_id):
    local, endpoint = aws
    sm = endpoint.client("sagemaker")
    sm.create_image(ImageName="kept", RoleArn=role, Tags=[{"Key": "k", "Value": "v"}])
    sm.create_image_version(ImageName="kept", BaseImage="x/kept:1")
    sm.create_app_image_config(AppImageConfigName="kept", KernelGatewayImageConfig=KERNEL_GATEWAY)
    repo = endpoint.client("ecr").create_repository(repositoryName="kept/repo")["repository"]

    def snapshot():
        sm = endpoint.client("sagemaker")
        described = [sm.describe_image(ImageName="kept"),
                     sm.describe_image_version(ImageName="kept"),
                     sm.describe_app_image_config(AppImageConfigName="kept"),
                     sm.describe_domain(DomainId=domain_id),
                     sm.list_tags(ResourceArn=sm.describe_image(ImageName="kept")["ImageArn"]),
                     endpoint.client("ecr").describe_repositories(repositoryNames=["kept/repo"]),
                     endpoint.client("iam").get_role(RoleName="studio-image-role")]
        for d in described:
            d.pop("ResponseMetadata")
        return described

    before = snapshot()
    assert local.stop()
    assert not local.running()
    assert local.start() == endpoint
    assert snapshot() == before
    assert before[5]["repositories"][0]["repositoryUri"] == repo["repositoryUri"]


def test_every_listing_filters_by_time_through_the_server(sm, role):
    sm.create_image(ImageName="Timed", RoleArn=role)
    sm.create_image_version(ImageName="Timed", BaseImage="x/timed:1")
    sm.create_app_image_config(AppImageConfigName="timed", JupyterLabAppImageConfig={})
    now = datetime.now(timezone.utc)
    # Naive datetimes are UTC to botocore, aware ones are converted: the server gets both alike.
    for before, after in ((now - timedelta(hours=1), now + timedelta(hours=1)),
                          (datetime(2020, 1, 1), datetime(2099, 1, 1))):
        images = {"NameContains": "timed"}
        for created, modified in (("CreationTimeAfter", "LastModifiedTimeAfter"),
                                  ("CreationTimeBefore", "LastModifiedTimeBefore")):
            bound = before if created.endswith("After") else after
            assert [i["ImageName"] for i in sm.list_images(
                **images, **{created: bound, modified: bound})["Images"]] == ["Timed"]
            assert [v["Version"] for v in sm.list_image_versions(
                ImageName="Timed", **{created: bound, modified: bound})["ImageVersions"]] == [1]
            config_modified = modified.replace("LastModified", "Modified")
            assert [c["AppImageConfigName"] for c in sm.list_app_image_configs(
                NameContains="timed", **{created: bound, config_modified: bound})[
                "AppImageConfigs"]] == ["timed"]
        assert sm.list_images(**images, CreationTimeAfter=after)["Images"] == []
        assert sm.list_image_versions(ImageName="Timed",
                                      LastModifiedTimeBefore=before)["ImageVersions"] == []
        assert sm.list_app_image_configs(NameContains="timed",
                                         ModifiedTimeAfter=after)["AppImageConfigs"] == []


def test_tags_of_a_version_and_of_a_deleted_domain(aws, sm, role):
    sm.create_image(ImageName="Tagged", RoleArn=role)
    version = sm.create_image_version(ImageName="Tagged", BaseImage="x/t:1")["ImageVersionArn"]
    assert version.endswith(":image-version/tagged/1")
    sm.add_tags(ResourceArn=version, Tags=[{"Key": "build", "Value": "7"}])
    assert sm.list_tags(ResourceArn=version)["Tags"] == [{"Key": "build", "Value": "7"}]
    ec2 = aws[1].client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    domain = sm.create_domain(DomainName="short-lived", AuthMode="IAM", SubnetIds=[subnet],
                              VpcId=vpc, DefaultUserSettings={"ExecutionRole": role})["DomainArn"]
    sm.delete_domain(DomainId=domain.rsplit("/", 1)[-1])
    for arn in (domain, version.replace("/1", "/9")):
        with pytest.raises(ClientError) as caught:
            sm.list_tags(ResourceArn=arn)
        response = caught.value.response
        assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
            "ValidationException", 400)


def _signed_post(endpoint, service: str, headers: dict, body: bytes) -> requests.Response:
    request = AWSRequest(method="POST", url=endpoint.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(endpoint.credentials.access_key_id,
                          endpoint.credentials.secret_access_key),
              service, endpoint.region).add_auth(request)
    return requests.post(endpoint.url + "/", data=body, headers=dict(request.headers))


@pytest.mark.parametrize("service, call, params, code, operation", [
    ("sagemaker", "describe_hub", {"HubName": "h"}, "UnknownOperationException",
     "sagemaker:DescribeHub"),
    ("iam", "change_password", {"OldPassword": "a", "NewPassword": "b"}, "InvalidAction",
     "iam:ChangePassword"),
    ("ec2", "describe_capacity_reservation_fleets", {}, "InvalidAction",
     "ec2:DescribeCapacityReservationFleets"),
])
def test_an_operation_the_local_aws_lacks_is_a_client_error_not_retried(
        aws, service, call, params, code, operation):
    with pytest.raises(ClientError) as caught:
        getattr(aws[1].client(service), call)(**params)
    response = caught.value.response
    assert (response["Error"]["Code"], response["Error"]["Message"]) == (
        code, f"The local AWS does not implement {operation}.")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0


def test_an_operation_no_model_knows_is_a_client_error(aws):
    endpoint = aws[1]
    answer = _signed_post(endpoint, "sagemaker", {
        "X-Amz-Target": "SageMaker.NoSuchOperation",
        "Content-Type": "application/x-amz-json-1.1"}, b"{}")
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"
    assert "sagemaker:NoSuchOperation" in answer.text
    answer = _signed_post(endpoint, "sts", {"Content-Type": "application/x-www-form-urlencoded"},
                          b"Action=NoSuchAction&Version=2011-06-15")
    assert answer.status_code == 400
    assert b"<Code>InvalidAction</Code>" in answer.content and b"sts:NoSuchAction" in answer.content


def test_what_a_domain_lists_cannot_be_deleted(sm, role, domain_id):
    sm.create_image(ImageName="in-use", RoleArn=role)
    sm.create_image_version(ImageName="in-use", BaseImage="x/in-use:1")
    sm.create_app_image_config(AppImageConfigName="in-use", CodeEditorAppImageConfig={})
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"CodeEditorAppSettings": {
        "CustomImages": [{"ImageName": "in-use", "ImageVersionNumber": 1,
                          "AppImageConfigName": "in-use"}]}})
    for delete, params in ((sm.delete_image, {"ImageName": "in-use"}),
                           (sm.delete_image_version, {"ImageName": "in-use", "Version": 1}),
                           (sm.delete_app_image_config, {"AppImageConfigName": "in-use"})):
        with pytest.raises(ClientError) as caught:
            delete(**params)
        error = caught.value.response["Error"]
        assert error["Code"] == "ResourceInUse" and f"Domain {domain_id}" in error["Message"]
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"CodeEditorAppSettings": {
        "CustomImages": []}})
    sm.delete_image(ImageName="in-use")
    sm.delete_app_image_config(AppImageConfigName="in-use")
