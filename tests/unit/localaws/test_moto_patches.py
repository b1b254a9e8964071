"""The fixes to moto's SageMaker backend, through boto3 on moto in this process."""
import re

import boto3
import pytest
from botocore.config import Config
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from studio_containers.localaws.sagemaker import backend
from studio_containers.localaws.server.constraints import shape_errors
from tests.aws_model import service_model
from tests.unit.localaws.conftest import install_patches

ROLE = "arn:aws:iam::123456789012:role/r"


def test_domains_get_random_ids_and_their_names_are_unique(sagemaker, domain_id, client_error):
    assert re.fullmatch(r"d-[a-z0-9]{12}", domain_id)
    described = sagemaker.describe_domain(DomainId=domain_id)
    assert described["DomainArn"].endswith(f":domain/{domain_id}")
    assert described["Url"] == f"https://{domain_id}.studio.us-east-1.sagemaker.aws"
    error = client_error(sagemaker.create_domain, DomainName="team", AuthMode="IAM",
                         DefaultUserSettings={"ExecutionRole": ROLE}, SubnetIds=["s"], VpcId="v")
    assert error["Code"] == "ResourceInUse" and "Domain with name team already exists" in \
        error["Message"]
    assert [d["DomainId"] for d in sagemaker.list_domains()["Domains"]] == [domain_id]


def test_only_an_sso_domain_has_an_identity_center_application(sagemaker, domain_id):
    iam = sagemaker.describe_domain(DomainId=domain_id)
    assert "SingleSignOnApplicationArn" not in iam
    assert "SingleSignOnManagedApplicationInstanceId" not in iam
    sso = sagemaker.create_domain(DomainName="sso", AuthMode="SSO", SubnetIds=["s"], VpcId="v",
                                  DefaultUserSettings={"ExecutionRole": ROLE})["DomainArn"]
    described = sagemaker.describe_domain(DomainId=sso.rsplit("/", 1)[-1])
    output = service_model("sagemaker").operation_model("DescribeDomain").output_shape
    assert described["SingleSignOnApplicationArn"].startswith("arn:aws:sso::123456789012:")
    assert shape_errors(output, {"SingleSignOnApplicationArn": described[
        "SingleSignOnApplicationArn"]}) == []


# What Terraform's hashicorp/aws sends: 3.x reads a domain as gone on ResourceNotFound and
# deletes through it; 5.x matches nothing else. Both must get the same answer.
PROVIDERS = {
    "3.39": "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) "
            "terraform-provider-aws/3.39.0 (+https://registry.terraform.io/providers/hashicorp/aws)"
            " aws-sdk-go/1.38.35 (go1.16; linux; amd64)",
    "5.x": "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
           "terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws)"
           " aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64",
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("action", ["describe_domain", "delete_domain"])
def test_a_missing_domain_is_resource_not_found_for_every_provider(patched, moto_backend, action,
                                                                   provider, client_error):
    sagemaker = boto3.client("sagemaker", region_name="us-east-1",
                             config=Config(user_agent=PROVIDERS[provider]))
    error = client_error(getattr(sagemaker, action), DomainId="d-000000000000")
    assert error == {"Code": "ResourceNotFound",
                     "Message": "Cannot find Domain d-000000000000."}


def test_a_domain_without_tags_lists_none_and_add_tags_overwrites_a_key(sagemaker, domain_id):
    arn = sagemaker.describe_domain(DomainId=domain_id)["DomainArn"]
    # A domain saved before the fix (or made by moto itself) keeps tags=None.
    sagemaker_backends["123456789012"]["us-east-1"].domains[domain_id].tags = None
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == []
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"},
                                              {"Key": "cost", "Value": "1"}])
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    assert sorted((t["Key"], t["Value"]) for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]) \
        == [("cost", "1"), ("team", "b")]


def test_tag_actions_find_the_studio_resources(sagemaker, client_error):
    image = sagemaker.create_image(ImageName="img", RoleArn=ROLE,
                                   Tags=[{"Key": "team", "Value": "a"}])["ImageArn"]
    config = sagemaker.create_app_image_config(
        AppImageConfigName="lab", JupyterLabAppImageConfig={})["AppImageConfigArn"]
    sagemaker.add_tags(ResourceArn=image, Tags=[{"Key": "team", "Value": "b"}])
    sagemaker.add_tags(ResourceArn=config, Tags=[{"Key": "k", "Value": "v"}])
    assert sagemaker.list_tags(ResourceArn=image)["Tags"] == [{"Key": "team", "Value": "b"}]
    sagemaker.delete_tags(ResourceArn=config, TagKeys=["k"])
    assert sagemaker.list_tags(ResourceArn=config)["Tags"] == []
    version = sagemaker.create_image_version(ImageName="img", BaseImage="r/img:1")[
        "ImageVersionArn"]
    sagemaker.add_tags(ResourceArn=version, Tags=[{"Key": "build", "Value": "1"}])
    assert sagemaker.list_tags(ResourceArn=version)["Tags"] == [{"Key": "build", "Value": "1"}]
    sagemaker.delete_tags(ResourceArn=version, TagKeys=["build"])
    assert sagemaker.list_tags(ResourceArn=version)["Tags"] == []


def test_tags_of_an_arn_of_nothing_are_a_validation_error(sagemaker, domain_id, client_error):
    image = sagemaker.create_image(ImageName="img", RoleArn=ROLE)["ImageArn"]
    domain = sagemaker.describe_domain(DomainId=domain_id)["DomainArn"]
    sagemaker.delete_domain(DomainId=domain_id)
    account = "arn:aws:sagemaker:us-east-1:123456789012"
    gone = [image.replace("/img", "/gone"), image.replace(":image/", ":image-version/") + "/1",
            domain, f"{account}:app/{domain_id}/ana/kernelgateway/default",
            f"{account}:no-such-kind/x"]
    for arn in gone:
        for call in (lambda: sagemaker.list_tags(ResourceArn=arn),
                     lambda: sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
                     lambda: sagemaker.delete_tags(ResourceArn=arn, TagKeys=["k"])):
            assert client_error(call) == {"Code": "ValidationException",
                                          "Message": "Resource does not exist"}, arn


def test_install_replaces_each_method_it_names(monkeypatch, found):
    names = {patch.name for patch in backend.PATCHES}
    originals = {name: getattr(SageMakerModelBackend, name) for name in names}
    install_patches(monkeypatch, {"sagemaker"}, resolve_image=found)
    assert names == {"_get_resource_from_arn", "add_tags", "create_domain", "describe_domain",
                     "delete_domain"}
    assert [n for n, m in originals.items() if getattr(SageMakerModelBackend, n) is m] == []
