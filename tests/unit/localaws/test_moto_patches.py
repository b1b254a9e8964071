"""The fixes to moto's SageMaker backend, through boto3 on moto in this process."""
import re

import pytest
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from studio_containers.localaws import moto_patches

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


@pytest.mark.parametrize("action", ["describe_domain", "delete_domain"])
def test_a_missing_domain_is_record_not_found(sagemaker, action, client_error):
    error = client_error(getattr(sagemaker, action), DomainId="d-000000000000")
    assert error == {"Code": "ValidationException",
                     "Message": "RecordNotFound: Domain d-000000000000 does not exist."}


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
    gone = image.replace("/img", "/gone")
    assert client_error(sagemaker.list_tags, ResourceArn=gone)["Code"] == "ResourceNotFound"


def test_install_replaces_each_method_it_names(monkeypatch):
    originals = {name: getattr(SageMakerModelBackend, name) for name in moto_patches.patches()}
    for name, method in originals.items():
        monkeypatch.setattr(SageMakerModelBackend, name, method)  # restores moto's after the test
    moto_patches.install()
    assert set(originals) == {"_get_resource_from_arn", "add_tags", "create_domain",
                              "describe_domain", "delete_domain"}
    assert [n for n, m in originals.items() if getattr(SageMakerModelBackend, n) is m] == []
