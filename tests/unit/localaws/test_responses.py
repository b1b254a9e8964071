"""The Studio API's responses: requests read, constraints checked, model called, answers formed."""
from datetime import datetime, timedelta, timezone

import pytest
from moto.sagemaker.responses import SageMakerResponse

from studio_containers.localaws.sagemaker import models, responses
from tests.unit.localaws.conftest import install_patches

ROLE = "arn:aws:iam::123456789012:role/r"


def test_constraints_are_checked_before_the_model_runs(sagemaker, client_error):
    error = client_error(sagemaker.create_image, ImageName="bad_name", RoleArn=ROLE)
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("1 validation error detected: Value 'bad_name' at "
                                       "'imageName'")
    assert sagemaker.list_images()["Images"] == []


def test_versions_use_the_installed_resolver_and_details(sagemaker):
    sagemaker.create_image(ImageName="img", RoleArn=ROLE)
    sagemaker.create_image_version(ImageName="img", BaseImage="repo/img:1", JobType="TRAINING")
    version = sagemaker.describe_image_version(ImageName="img")
    assert (version["ContainerImage"], version["JobType"]) == ("resolved/repo/img:1", "TRAINING")


def test_every_app_image_config_kind_is_read(sagemaker):
    for kind, config in (("KernelGatewayImageConfig", {"KernelSpecs": [{"Name": "python3"}]}),
                         ("JupyterLabAppImageConfig", {}), ("CodeEditorAppImageConfig", {})):
        name = kind.replace("ImageConfig", "").lower()
        sagemaker.create_app_image_config(AppImageConfigName=name, **{kind: config})
        assert kind in sagemaker.describe_app_image_config(AppImageConfigName=name)


def _between(earlier: datetime, later: datetime) -> datetime:
    # A bound equal to an item's own time may round either way on the wire (epoch seconds).
    return earlier + (later - earlier) / 2


@pytest.fixture
def clock(monkeypatch):
    """Studio objects made one second apart, so their order and bounds do not hang on timing."""
    ticks = (datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=n) for n in range(10**6))
    monkeypatch.setattr(models, "now", lambda: next(ticks))


def test_listings_read_bounds_sort_and_pages(sagemaker, clock):
    for name in ("b", "a", "c"):
        sagemaker.create_image(ImageName=name, RoleArn=ROLE)
    newest_first = [i["ImageName"] for i in sagemaker.list_images()["Images"]]
    assert newest_first == ["c", "a", "b"]
    created = {n: sagemaker.describe_image(ImageName=n)["CreationTime"] for n in "abc"}
    page = sagemaker.list_images(CreationTimeAfter=_between(created["b"], created["a"]),
                                 SortBy="IMAGE_NAME", SortOrder="ASCENDING", MaxResults=1)
    assert [i["ImageName"] for i in page["Images"]] == ["a"] and page["NextToken"]
    rest = sagemaker.list_images(CreationTimeAfter=_between(created["b"], created["a"]),
                                 SortBy="IMAGE_NAME", SortOrder="ASCENDING",
                                 NextToken=page["NextToken"])
    assert [i["ImageName"] for i in rest["Images"]] == ["c"] and "NextToken" not in rest
    for name in ("old", "new"):
        sagemaker.create_app_image_config(AppImageConfigName=name, JupyterLabAppImageConfig={})
    modified = {n: sagemaker.describe_app_image_config(AppImageConfigName=n)["LastModifiedTime"]
                for n in ("old", "new")}
    middle = _between(modified["old"], modified["new"])
    assert [c["AppImageConfigName"] for c in sagemaker.list_app_image_configs(
        ModifiedTimeBefore=middle)["AppImageConfigs"]] == ["old"]
    assert [c["AppImageConfigName"] for c in sagemaker.list_app_image_configs(
        ModifiedTimeAfter=middle, SortBy="Name", SortOrder="Ascending")["AppImageConfigs"]] == [
        "new"]


def test_update_domain_reads_every_member_and_answers_the_domain_arn(sagemaker, domain_id):
    sagemaker.create_image(ImageName="img", RoleArn=ROLE)
    sagemaker.create_app_image_config(AppImageConfigName="kg", KernelGatewayImageConfig={
        "KernelSpecs": [{"Name": "python3"}]})
    answer = sagemaker.update_domain(
        DomainId=domain_id,
        DefaultUserSettings={"KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "img", "AppImageConfigName": "kg"}]}},
        DomainSettingsForUpdate={"ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"},
        SubnetIds=["subnet-2"], AppNetworkAccessType="VpcOnly")
    described = sagemaker.describe_domain(DomainId=domain_id)
    assert answer["DomainArn"] == described["DomainArn"]
    assert described["DefaultUserSettings"]["ExecutionRole"] == ROLE
    assert described["DefaultUserSettings"]["KernelGatewayAppSettings"]["CustomImages"] == [
        {"ImageName": "img", "AppImageConfigName": "kg"}]
    assert (described["SubnetIds"], described["AppNetworkAccessType"],
            described["DomainSettings"]["ExecutionRoleIdentityConfig"]) == (
        ["subnet-2"], "VpcOnly", "USER_PROFILE_NAME")


def test_update_domain_of_a_missing_domain_is_resource_not_found(sagemaker, client_error):
    error = client_error(sagemaker.update_domain, DomainId="d-000000000000")
    assert error == {"Code": "ResourceNotFound", "Message": "Cannot find Domain d-000000000000."}


def test_install_adds_the_studio_actions_to_moto(monkeypatch):
    added = responses.methods()
    install_patches(monkeypatch, {"sagemaker"}, resolve_image=lambda reference: (reference, None))
    assert {f"{verb}_{noun}" for verb in ("create", "describe", "update", "delete")
            for noun in ("image", "app_image_config")} | {
        "list_images", "list_app_image_configs", "create_image_version",
        "describe_image_version", "update_image_version", "delete_image_version",
        "list_image_versions", "list_aliases", "update_domain"} <= set(added)
    assert all(getattr(SageMakerResponse, name) is method for name, method in added.items())
    assert responses.StudioResponses.resolve_image("x") == ("x", None)


def test_space_configs_take_a_container_config_within_the_apis_limits(sagemaker, client_error):
    container = {"ContainerEntrypoint": ["jupyter-lab"],
                 "ContainerArguments": ["--ServerApp.base_url=/jupyterlab/default"],
                 "ContainerEnvironmentVariables": {"A": "1"}}
    sagemaker.create_app_image_config(AppImageConfigName="lab", JupyterLabAppImageConfig={
        "ContainerConfig": container})
    assert sagemaker.describe_app_image_config(AppImageConfigName="lab")[
        "JupyterLabAppImageConfig"] == {"ContainerConfig": container}
    listed = sagemaker.list_app_image_configs()["AppImageConfigs"]
    assert listed[0]["JupyterLabAppImageConfig"] == {"ContainerConfig": container}
    error = client_error(sagemaker.create_app_image_config, AppImageConfigName="ce",
                         CodeEditorAppImageConfig={"ContainerConfig": {
                             "ContainerEntrypoint": ["a", "b"], "ContainerArguments": ["x" * 65]}})
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("2 validation errors detected: ")
    assert "'codeEditorAppImageConfig.containerConfig.containerEntrypoint' failed to satisfy " \
           "constraint: Member must have length less than or equal to 1" in error["Message"]
    assert "Member must have length less than or equal to 64" in error["Message"]


def test_create_domain_checks_the_custom_images_of_every_app(sagemaker, client_error):
    sagemaker.create_image(ImageName="lab", RoleArn=ROLE)
    sagemaker.create_app_image_config(AppImageConfigName="lab", JupyterLabAppImageConfig={})
    settings = {"ExecutionRole": ROLE, "JupyterLabAppSettings": {"CustomImages": [
        {"ImageName": "lab", "AppImageConfigName": "lab"}]}}
    missing = {**settings, "CodeEditorAppSettings": {"CustomImages": [
        {"ImageName": "nothing", "AppImageConfigName": "lab"}]}}
    error = client_error(sagemaker.create_domain, DomainName="d1", AuthMode="IAM", SubnetIds=["s"],
                         VpcId="v", DefaultUserSettings=missing)
    assert "nothing" in error["Message"]
    wrong_kind = {**settings, "KernelGatewayAppSettings": {"CustomImages": [
        {"ImageName": "lab", "AppImageConfigName": "lab"}]}}
    error = client_error(sagemaker.create_domain, DomainName="d2", AuthMode="IAM", SubnetIds=["s"],
                         VpcId="v", DefaultUserSettings=wrong_kind)
    assert "has no KernelGatewayImageConfig" in error["Message"]
    assert sagemaker.list_domains()["Domains"] == []            # nothing half-created
    arn = sagemaker.create_domain(DomainName="d3", AuthMode="IAM", SubnetIds=["s"], VpcId="v",
                                  DefaultUserSettings=settings)["DomainArn"]
    made = sagemaker.describe_domain(DomainId=arn.rsplit("/", 1)[-1])["DefaultUserSettings"]
    assert made["JupyterLabAppSettings"]["CustomImages"][0]["ImageName"] == "lab"


def test_every_listing_takes_its_time_bounds(sagemaker, clock):
    sagemaker.create_image(ImageName="img", RoleArn=ROLE)
    for n in range(3):
        sagemaker.create_image_version(ImageName="img", BaseImage=f"repo/img:{n}")
    sagemaker.create_app_image_config(AppImageConfigName="lab", JupyterLabAppImageConfig={})
    versions = sagemaker.list_image_versions(ImageName="img", SortBy="VERSION",
                                             SortOrder="ASCENDING")["ImageVersions"]
    middle = _between(versions[0]["CreationTime"], versions[1]["CreationTime"])
    for bounds, expected in (({"CreationTimeAfter": middle}, [2, 3]),
                             ({"CreationTimeBefore": middle}, [1]),
                             ({"LastModifiedTimeAfter": middle}, [2, 3]),
                             ({"LastModifiedTimeBefore": middle}, [1])):
        found = sagemaker.list_image_versions(ImageName="img", SortBy="VERSION",
                                              SortOrder="ASCENDING", **bounds)["ImageVersions"]
        assert [v["Version"] for v in found] == expected, bounds
    # Naive datetimes are UTC to botocore; a bound before everything keeps everything.
    long_ago = datetime(2000, 1, 1)
    assert len(sagemaker.list_images(LastModifiedTimeAfter=long_ago)["Images"]) == 1
    assert sagemaker.list_images(CreationTimeBefore=long_ago)["Images"] == []
    assert len(sagemaker.list_app_image_configs(CreationTimeAfter=long_ago,
                                                ModifiedTimeAfter=long_ago)["AppImageConfigs"]) == 1


def test_update_image_version_and_list_aliases(sagemaker, client_error):
    sagemaker.create_image(ImageName="Img", RoleArn=ROLE)
    first = sagemaker.create_image_version(ImageName="Img", BaseImage="repo/img:1",
                                           Aliases=["a1", "a2", "a3"])["ImageVersionArn"]
    second = sagemaker.create_image_version(ImageName="Img", BaseImage="repo/img:2")
    answer = sagemaker.update_image_version(ImageName="Img", Alias="a1", AliasesToAdd=["b"],
                                            AliasesToDelete=["a2"], ReleaseNotes="notes")
    assert answer["ImageVersionArn"] == first
    assert sagemaker.describe_image_version(ImageName="Img", Version=1)["ReleaseNotes"] == "notes"
    page = sagemaker.list_aliases(ImageName="Img", MaxResults=2)
    rest = sagemaker.list_aliases(ImageName="Img", NextToken=page["NextToken"])
    assert page["SageMakerImageVersionAliases"] + rest["SageMakerImageVersionAliases"] == [
        "a1", "a3", "b"] and "NextToken" not in rest
    sagemaker.update_image_version(ImageName="Img", AliasesToAdd=["latest"])
    assert sagemaker.list_aliases(ImageName="Img", Version=2)["SageMakerImageVersionAliases"] == [
        "latest"]
    assert sagemaker.list_aliases(ImageName="Img", Alias="b")["SageMakerImageVersionAliases"] == [
        "a1", "a3", "b"]
    error = client_error(sagemaker.update_image_version, ImageName="Img", Version=2,
                         AliasesToAdd=["a1"])
    assert error["Code"] == "ValidationException" and "Alias a1 is already used" in error["Message"]
    error = client_error(sagemaker.list_aliases, ImageName="Img", Version=7)
    assert error["Code"] == "ResourceNotFound"
    error = client_error(sagemaker.update_image_version, ImageName="Img", AliasesToAdd=["-bad"])
    assert error["Code"] == "ValidationException" and "regular expression" in error["Message"]
    assert second["ImageVersionArn"].endswith(":image-version/img/2")


def test_what_a_domain_lists_cannot_be_deleted_through_the_api(sagemaker, domain_id,
                                                               client_error):
    sagemaker.create_image(ImageName="img", RoleArn=ROLE)
    sagemaker.create_image_version(ImageName="img", BaseImage="repo/img:1")
    sagemaker.create_app_image_config(AppImageConfigName="lab", JupyterLabAppImageConfig={})
    sagemaker.update_domain(DomainId=domain_id, DefaultSpaceSettings={"JupyterLabAppSettings": {
        "CustomImages": [{"ImageName": "img", "ImageVersionNumber": 1,
                          "AppImageConfigName": "lab"}]}})
    for delete, params in ((sagemaker.delete_image, {"ImageName": "img"}),
                           (sagemaker.delete_image_version, {"ImageName": "img", "Version": 1}),
                           (sagemaker.delete_app_image_config, {"AppImageConfigName": "lab"})):
        error = client_error(delete, **params)
        assert error["Code"] == "ResourceInUse" and domain_id in error["Message"]
    sagemaker.update_domain(DomainId=domain_id, DefaultSpaceSettings={"JupyterLabAppSettings": {
        "CustomImages": []}})
    sagemaker.delete_app_image_config(AppImageConfigName="lab")
    sagemaker.delete_image(ImageName="img")
    assert sagemaker.list_images()["Images"] == []
