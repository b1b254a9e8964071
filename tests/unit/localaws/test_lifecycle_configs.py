"""Studio lifecycle configs on the local AWS (sagemaker/lifecycle.py), through boto3 as scripts
call them: create, describe, list, delete, tags, with the model's constraints and AWS's errors;
settings that name one must name one that exists, for that app's type; one in use is not
deleted."""
import base64

import pytest

from tests.unit.localaws.conftest import ROLE, freeze_clock, install_patches
from tests.unit.localaws.test_apps_api import (  # noqa: F401 (fixtures)
    RecordingLauncher,
    images,
    launcher,
)

SCRIPT = base64.b64encode(b"#!/bin/bash\npip install --user six\n").decode()


def create(sagemaker, name="install-six", app_type="JupyterLab", content=SCRIPT, **more):
    return sagemaker.create_studio_lifecycle_config(
        StudioLifecycleConfigName=name, StudioLifecycleConfigContent=content,
        StudioLifecycleConfigAppType=app_type, **more)["StudioLifecycleConfigArn"]


def test_one_goes_through_its_life_as_on_aws(sagemaker):
    arn = create(sagemaker, Tags=[{"Key": "team", "Value": "ml"}])
    assert arn.endswith(":studio-lifecycle-config/install-six")
    found = sagemaker.describe_studio_lifecycle_config(StudioLifecycleConfigName="install-six")
    assert (found["StudioLifecycleConfigArn"], found["StudioLifecycleConfigContent"],
            found["StudioLifecycleConfigAppType"]) == (arn, SCRIPT, "JupyterLab")
    assert found["CreationTime"] == found["LastModifiedTime"]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sagemaker.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-six")
    assert sagemaker.list_studio_lifecycle_configs()["StudioLifecycleConfigs"] == []


def test_listing_filters_sorts_and_pages(sagemaker):
    for name, app_type in (("b-lab", "JupyterLab"), ("a-kg", "KernelGateway"),
                           ("c-lab", "JupyterLab")):
        create(sagemaker, name, app_type)
    listed = sagemaker.list_studio_lifecycle_configs(SortBy="Name", SortOrder="Ascending")
    assert [c["StudioLifecycleConfigName"] for c in listed["StudioLifecycleConfigs"]] == [
        "a-kg", "b-lab", "c-lab"]
    assert "StudioLifecycleConfigContent" not in listed["StudioLifecycleConfigs"][0]
    labs = sagemaker.list_studio_lifecycle_configs(AppTypeEquals="JupyterLab", NameContains="LAB")
    assert sorted(c["StudioLifecycleConfigName"] for c in labs["StudioLifecycleConfigs"]) == [
        "b-lab", "c-lab"]
    first = sagemaker.list_studio_lifecycle_configs(MaxResults=2, SortBy="Name",
                                                    SortOrder="Ascending")
    rest = sagemaker.list_studio_lifecycle_configs(MaxResults=2, SortBy="Name",
                                                   SortOrder="Ascending",
                                                   NextToken=first["NextToken"])
    assert [c["StudioLifecycleConfigName"] for c in rest["StudioLifecycleConfigs"]] == ["c-lab"]


def test_errors_as_aws_answers_them(sagemaker, client_error):
    create(sagemaker)
    assert client_error(sagemaker.create_studio_lifecycle_config,
                        StudioLifecycleConfigName="install-six",
                        StudioLifecycleConfigContent=SCRIPT,
                        StudioLifecycleConfigAppType="JupyterLab")["Code"] == "ResourceInUse"
    for call in (sagemaker.describe_studio_lifecycle_config,
                 sagemaker.delete_studio_lifecycle_config):
        assert client_error(call, StudioLifecycleConfigName="nope")["Code"] == "ResourceNotFound"


@pytest.mark.parametrize("changes, said", [
    ({"content": "x" * 16385}, "at 'studioLifecycleConfigContent' failed to satisfy constraint: "
                               "Member must have length less than or equal to 16384"),
    ({"content": "not base64!"}, "must be base64-encoded"),
    ({"app_type": "Canvas"}, "at 'studioLifecycleConfigAppType' failed to satisfy constraint"),
    ({"name": "under_score"}, "at 'studioLifecycleConfigName' failed to satisfy constraint"),
])
def test_what_the_model_refuses_is_a_validation_error(sagemaker, client_error, changes, said):
    error = client_error(create, sagemaker=sagemaker, **changes)
    assert error["Code"] == "ValidationException" and said in error["Message"]


@pytest.fixture
def profiles(sagemaker, monkeypatch):
    """The user profile API too (the apps group), with the apps tests' recording launcher."""
    install_patches(monkeypatch, {"apps"}, launcher=RecordingLauncher())


def lab_settings(arns, default=None):
    settings = {"LifecycleConfigArns": arns}
    if default:
        settings["DefaultResourceSpec"] = {"LifecycleConfigArn": default}
    return {"ExecutionRole": ROLE, "JupyterLabAppSettings": settings}


def test_settings_name_lifecycle_configs_that_exist_for_their_app(sagemaker, domain_id, profiles,
                                                                 client_error):
    lab = create(sagemaker)
    kg = create(sagemaker, "kg-only", "KernelGateway")
    missing = lab.replace("install-six", "gone")
    error = client_error(sagemaker.update_domain, DomainId=domain_id,
                         DefaultUserSettings=lab_settings([missing]))
    assert error["Code"] == "ValidationException" and "gone does not exist" in error["Message"]
    error = client_error(sagemaker.update_domain, DomainId=domain_id,
                         DefaultUserSettings=lab_settings([lab], default=kg))
    assert "kg-only is for KernelGateway apps, not JupyterLab" in error["Message"]
    error = client_error(sagemaker.create_user_profile, DomainId=domain_id,
                         UserProfileName="ana", UserSettings=lab_settings([missing]))
    assert "gone does not exist" in error["Message"]
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings=lab_settings([lab], lab))
    settings = sagemaker.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    assert settings["JupyterLabAppSettings"]["LifecycleConfigArns"] == [lab]


def test_one_a_domain_or_profile_lists_is_not_deleted(sagemaker, domain_id, profiles,
                                                      client_error, monkeypatch):
    lab = create(sagemaker)
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings=lab_settings([lab]))
    error = client_error(sagemaker.delete_studio_lifecycle_config,
                         StudioLifecycleConfigName="install-six")
    assert error["Code"] == "ResourceInUse" and f"Domain {domain_id} lists it" in error["Message"]
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings=lab_settings([]))
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="ana",
                                  UserSettings=lab_settings([lab]))
    error = client_error(sagemaker.delete_studio_lifecycle_config,
                         StudioLifecycleConfigName="install-six")
    assert error["Code"] == "ResourceInUse" and "user profile ana" in error["Message"]
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName="ana")
    freeze_clock(monkeypatch, after_deletions=True)       # a profile still deleting keeps it in use
    sagemaker.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-six")


def test_create_app_names_one_that_exists_for_its_type_and_a_live_app_keeps_it(
        sagemaker, domain_id, images, launcher, client_error):
    lab = create(sagemaker)
    kg = create(sagemaker, "kg-only", "KernelGateway")
    app = dict(DomainId=domain_id, SpaceName="work", AppType="JupyterLab", AppName="default")

    def refused(arn):
        return client_error(sagemaker.create_app, **app, ResourceSpec={
            "SageMakerImageArn": images["lab"], "LifecycleConfigArn": arn})["Message"]
    assert "gone does not exist" in refused(lab.replace("install-six", "gone"))
    assert "kg-only is for KernelGateway apps, not JupyterLab" in refused(kg)
    assert launcher.launched == []
    sagemaker.create_app(**app, ResourceSpec={"SageMakerImageArn": images["lab"],
                                              "LifecycleConfigArn": lab})
    error = client_error(sagemaker.delete_studio_lifecycle_config,
                         StudioLifecycleConfigName="install-six")
    assert error["Code"] == "ResourceInUse" and "in use by app(s) default" in error["Message"]
    sagemaker.delete_app(**app)
    sagemaker.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-six")


def test_an_app_starts_with_the_one_named_else_its_owners_default(sagemaker, domain_id, images,
                                                                  launcher):
    default = create(sagemaker, "kg-default", "KernelGateway")
    named = create(sagemaker, "kg-named", "KernelGateway")
    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName="Ana", UserSettings={
        "KernelGatewayAppSettings": {"LifecycleConfigArns": [default, named],
                                     "DefaultResourceSpec": {"LifecycleConfigArn": default}}})
    app = dict(DomainId=domain_id, UserProfileName="Ana", AppType="KernelGateway")
    sagemaker.create_app(**app, AppName="a", ResourceSpec={"SageMakerImageArn": images["kg"]})
    sagemaker.create_app(**app, AppName="b", ResourceSpec={"SageMakerImageArn": images["kg"],
                                                           "LifecycleConfigArn": named})
    started = {a.name: a.runtime["lifecycle"] for a in launcher.launched}
    assert started == {"a": {"name": "kg-default", "content": SCRIPT},
                       "b": {"name": "kg-named", "content": SCRIPT}}
    described = sagemaker.describe_app(**app, AppName="a")
    assert described["ResourceSpec"]["LifecycleConfigArn"] == default


def test_an_app_without_one_runs_none(sagemaker, domain_id, images, launcher):
    sagemaker.create_app(DomainId=domain_id, SpaceName="work", AppType="JupyterLab",
                         AppName="default", ResourceSpec={"SageMakerImageArn": images["lab"]})
    assert "lifecycle" not in launcher.launched[0].runtime


def test_a_spaces_settings_are_checked_keep_it_in_use_and_give_its_apps_a_default(
        sagemaker, domain_id, images, launcher, client_error):
    lab = create(sagemaker)
    kg = create(sagemaker, "kg-only", "KernelGateway")
    error = client_error(sagemaker.create_space, DomainId=domain_id, SpaceName="shared",
                         SpaceSettings={"JupyterLabAppSettings": {
                             "DefaultResourceSpec": {"LifecycleConfigArn": kg}}})
    assert "kg-only is for KernelGateway apps, not JupyterLab" in error["Message"]
    sagemaker.update_space(DomainId=domain_id, SpaceName="work", SpaceSettings={
        "JupyterLabAppSettings": {"DefaultResourceSpec": {"LifecycleConfigArn": lab}}})
    sagemaker.create_app(DomainId=domain_id, SpaceName="work", AppType="JupyterLab",
                         AppName="default", ResourceSpec={"SageMakerImageArn": images["lab"]})
    assert launcher.launched[-1].runtime["lifecycle"]["name"] == "install-six"
    error = client_error(sagemaker.delete_studio_lifecycle_config,
                         StudioLifecycleConfigName="install-six")
    assert error["Code"] == "ResourceInUse" and "(space work) lists it" in error["Message"]
