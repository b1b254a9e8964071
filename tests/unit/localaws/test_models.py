"""The Studio API's state and its changes: images, versions, app image configs, UpdateDomain."""
from datetime import datetime, timezone

import pytest
from moto.sagemaker.exceptions import (
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)
from moto.sagemaker.models import Domain, sagemaker_backends

from studio_containers.localaws.sagemaker.models import StudioStore, find_domain, studio_store

ROLE = "arn:aws:iam::123456789012:role/r"
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def test_image_versions_grow_are_idempotent_per_token_and_pick_latest(store, found):
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


def test_image_names_are_unique_and_updates_follow_delete_properties(store):
    with pytest.raises(ResourceInUseException):
        store.create_image("img", ROLE, None, None, None)
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


@pytest.mark.parametrize("configs, message", [
    ({"KernelGatewayImageConfig": {"FileSystemConfig": {"DefaultUid": 1001}}},
     "Invalid DefaultUid/DefaultGid (1001, 100) in KernelGatewayImageConfig.FileSystemConfig; "
     "allowed pairs: (1000, 100) and (0, 0)."),
    ({"CodeEditorAppImageConfig": {}, "JupyterLabAppImageConfig": {}},
     "Only one of KernelGatewayImageConfig, JupyterLabAppImageConfig and "
     "CodeEditorAppImageConfig may be specified."),
    ({"CodeEditorAppImageConfig": {"FileSystemConfig": {"DefaultUid": 0}}},
     "FileSystemConfig is not supported for CodeEditorAppImageConfig; the home is "
     "/home/sagemaker-user with UID 1000 and GID 100."),
])
def test_app_image_config_messages_state_studios_rules(configs, message):
    with pytest.raises(ValidationError) as caught:
        StudioStore("1", "r").create_app_image_config("c", configs, None)
    assert caught.value.message == message


def test_file_system_config_gets_studio_defaults():
    store = StudioStore("1", "r")
    config = store.create_app_image_config("c", {"KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "k"}], "FileSystemConfig": {"DefaultUid": 0, "DefaultGid": 0}}},
        None)
    assert config.configs["KernelGatewayImageConfig"]["FileSystemConfig"] == {
        "MountPath": "/home/sagemaker-user", "DefaultUid": 0, "DefaultGid": 0}


def test_custom_images_must_exist_and_fit_the_app(store):
    store.create_app_image_config("lab", {"JupyterLabAppImageConfig": {}}, None)
    with pytest.raises(ValidationError, match="has no KernelGatewayImageConfig"):
        store.check_custom_images({"CustomImages": [
            {"ImageName": "img", "AppImageConfigName": "lab"}]}, "KernelGatewayAppSettings")
    with pytest.raises(ResourceNotFound):
        store.check_custom_images({"CustomImages": [
            {"ImageName": "img", "ImageVersionNumber": 4, "AppImageConfigName": "lab"}]},
            "JupyterLabAppSettings")


def test_the_store_is_kept_on_its_moto_backend(moto_backend):
    backend = sagemaker_backends["123456789012"]["eu-west-1"]
    made = studio_store(backend)
    assert studio_store(backend) is made
    assert (made.account_id, made.region) == ("123456789012", "eu-west-1")


# UpdateDomain

@pytest.fixture
def domain(moto_backend):
    """moto's own Domain, as CreateDomain leaves it: settings with a CustomImages list."""
    return Domain(
        domain_name="team", auth_mode="IAM", subnet_ids=["subnet-1"], vpc_id="vpc-1",
        account_id="123456789012", region_name="us-east-1", tags=None,
        default_user_settings={
            "ExecutionRole": ROLE,
            "KernelGatewayAppSettings": {
                "DefaultResourceSpec": {"InstanceType": "ml.t3.medium"},
                "CustomImages": [{"ImageName": "old", "AppImageConfigName": "kg"}]}},
        domain_settings={"SecurityGroupIds": ["sg-1"]}, app_network_access_type=None,
        home_efs_file_system_kms_key_id=None, kms_key_id=None,
        app_security_group_management="Service", default_space_settings=None)


@pytest.fixture
def images(store) -> StudioStore:
    """The store with images "img" and "new", a Kernel Gateway config and a JupyterLab one."""
    store.create_image("new", ROLE, None, None, None)
    store.create_app_image_config("kg", {"KernelGatewayImageConfig": {
        "KernelSpecs": [{"Name": "python3"}]}}, None)
    store.create_app_image_config("lab", {"JupyterLabAppImageConfig": {}}, None)
    return store


def test_update_domain_merges_settings_and_a_given_list_replaces_the_old_one(images, domain):
    domain.last_modified_time = LONG_AGO
    images.update_domain(domain, {
        "DefaultUserSettings": {"KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "new", "AppImageConfigName": "kg"}]}},
        "DefaultSpaceSettings": {"JupyterLabAppSettings": {"CustomImages": [
            {"ImageName": "img", "AppImageConfigName": "lab"}]}},
        "DomainSettingsForUpdate": {"ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"},
        "SubnetIds": ["subnet-2", "subnet-3"], "AppNetworkAccessType": "VpcOnly",
        "AppSecurityGroupManagement": None})
    described = domain.describe()
    assert described["DefaultUserSettings"] == {
        "ExecutionRole": ROLE,
        "KernelGatewayAppSettings": {
            "DefaultResourceSpec": {"InstanceType": "ml.t3.medium"},
            "CustomImages": [{"ImageName": "new", "AppImageConfigName": "kg"}]}}
    assert domain.default_space_settings == {"JupyterLabAppSettings": {"CustomImages": [
        {"ImageName": "img", "AppImageConfigName": "lab"}]}}
    assert described["DomainSettings"] == {"SecurityGroupIds": ["sg-1"],
                                           "ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"}
    assert (described["SubnetIds"], described["AppNetworkAccessType"]) == (
        ["subnet-2", "subnet-3"], "VpcOnly")
    assert domain.app_security_group_management == "Service"
    assert domain.last_modified_time > LONG_AGO


def test_update_domain_with_nothing_given_keeps_every_setting(images, domain):
    settings = domain.default_user_settings
    images.update_domain(domain, {})
    assert domain.default_user_settings is settings
    assert (domain.default_space_settings, domain.domain_settings, domain.subnet_ids) == (
        None, {"SecurityGroupIds": ["sg-1"]}, ["subnet-1"])


@pytest.mark.parametrize("member, setting, entry, error, message", [
    ("DefaultUserSettings", "KernelGatewayAppSettings",
     {"ImageName": "missing", "AppImageConfigName": "kg"}, ResourceNotFound, "No Image"),
    ("DefaultSpaceSettings", "KernelGatewayAppSettings",
     {"ImageName": "img", "ImageVersionNumber": 2, "AppImageConfigName": "kg"},
     ResourceNotFound, "No ImageVersion"),
    ("DefaultUserSettings", "JupyterLabAppSettings",
     {"ImageName": "img", "AppImageConfigName": "missing"}, ResourceNotFound, "missing"),
    ("DefaultSpaceSettings", "JupyterLabAppSettings",
     {"ImageName": "img", "AppImageConfigName": "kg"}, ValidationError,
     "AppImageConfig kg has no JupyterLabAppImageConfig; it cannot be used in "
     "JupyterLabAppSettings.CustomImages"),
    ("DefaultUserSettings", "CodeEditorAppSettings",
     {"ImageName": "img", "AppImageConfigName": "lab"}, ValidationError,
     "has no CodeEditorAppImageConfig"),
])
def test_update_domain_refuses_custom_images_that_are_missing_or_do_not_fit(
        images, domain, member, setting, entry, error, message):
    settings, modified = domain.default_user_settings, domain.last_modified_time
    with pytest.raises(error, match=message):
        images.update_domain(domain, {member: {setting: {"CustomImages": [entry]}},
                                      "SubnetIds": ["subnet-9"]})
    # Checked before anything changes: a refused update leaves the domain as it was.
    assert (domain.default_user_settings, domain.subnet_ids, domain.last_modified_time) == (
        settings, ["subnet-1"], modified)


def test_a_missing_domain_is_resource_not_found(moto_backend):
    backend = sagemaker_backends["123456789012"]["us-east-1"]
    with pytest.raises(ResourceNotFound) as caught:
        find_domain(backend, "d-000000000000")
    assert caught.value.message == "Cannot find Domain d-000000000000."


ARN = "arn:aws:sagemaker:us-east-1:123456789012"


@pytest.mark.parametrize("what, arn", [
    ("Image", f"{ARN}:image/img"), ("ImageVersion", f"{ARN}:image-version/img/1"),
    ("AppImageConfig", f"{ARN}:app-image-config/lab")])
def test_what_a_domain_lists_cannot_be_deleted(images, domain, found, what, arn):
    images.create_image_version("img", "r/a:1", "t1", None, {}, found)
    domain.default_space_settings = {"JupyterLabAppSettings": {"CustomImages": [
        {"ImageName": "img", "ImageVersionNumber": 1, "AppImageConfigName": "lab"}]}}
    delete = {"Image": lambda domains: images.delete_image("img", domains),
              "ImageVersion": lambda domains: images.delete_image_version("img", 1, None, domains),
              "AppImageConfig": lambda domains: images.delete_app_image_config("lab", domains)}
    with pytest.raises(ResourceInUseException) as caught:
        delete[what]([domain])
    assert caught.value.message == (f"{what} {arn} is in use: Domain {domain.id} lists it in "
                                    "its CustomImages.")
    domain.default_space_settings = None
    delete[what]([domain])      # once the domain lets go, it goes


def test_a_version_the_domain_does_not_pin_and_other_images_can_go(images, domain, found):
    for token in ("t1", "t2"):
        images.create_image_version("img", "r/a:1", token, None, {}, found)
    domain.default_user_settings["KernelGatewayAppSettings"]["CustomImages"] = [
        {"ImageName": "img", "ImageVersionNumber": 2, "AppImageConfigName": "kg"}]
    images.delete_image_version("img", 1, None, [domain])
    images.delete_image("new", [domain])
    images.delete_app_image_config("lab", [domain])
    assert list(images.images) == ["img"] and list(images.images["img"].versions) == [2]
    assert list(images.app_image_configs) == ["kg"]


def test_arns_are_lower_case_so_names_differing_only_in_case_collide(store, found):
    store.create_image("My.Image", ROLE, None, None, None)
    version = store.create_image_version("My.Image", "r/a:1", "t1", None, {}, found)
    config = store.create_app_image_config("My-Config", {"JupyterLabAppImageConfig": {}}, None)
    assert (store.image("My.Image").arn, version.arn, version.image_arn, config.arn) == (
        "arn:aws:sagemaker:us-east-1:123456789012:image/my.image",
        "arn:aws:sagemaker:us-east-1:123456789012:image-version/my.image/1",
        "arn:aws:sagemaker:us-east-1:123456789012:image/my.image",
        "arn:aws:sagemaker:us-east-1:123456789012:app-image-config/my-config")
    with pytest.raises(ResourceInUseException, match="image/my.image already exists"):
        store.create_image("my.image", ROLE, None, None, None)
    with pytest.raises(ResourceInUseException, match="app-image-config/my-config already"):
        store.create_app_image_config("MY-CONFIG", {"JupyterLabAppImageConfig": {}}, None)


def test_tags_find_images_versions_and_configs_by_arn(store, found):
    version = store.create_image_version("img", "r/a:1", "t1", None, {}, found)
    config = store.create_app_image_config("lab", {"JupyterLabAppImageConfig": {}}, None)
    for resource in (store.image("img"), version, config):
        assert store.taggable(resource.arn) is resource
    assert version.tags == []
    assert store.taggable("arn:aws:sagemaker:us-east-1:123456789012:domain/d-1") is None
    for gone in (version.arn.replace("/1", "/2"), config.arn + "x",
                 "arn:aws:sagemaker:us-east-1:123456789012:image/IMG"):
        with pytest.raises(ValidationError) as caught:
            store.taggable(gone)
        assert caught.value.message == "Resource does not exist"


def test_update_image_version_moves_aliases_and_details(store, found):
    store.create_image_version("img", "r/a:1", "t1", ["stable", "old"], {}, found)
    store.create_image_version("img", "r/a:2", "t2", None, {"JobType": "TRAINING"}, found)
    with pytest.raises(ValidationError, match="Alias stable is already used"):
        store.update_image_version("img", 2, None, ["stable"], None, {})
    with pytest.raises(ValidationError, match="Alias x cannot be both added and deleted"):
        store.update_image_version("img", 2, None, ["x"], ["x"], {})
    store.update_image_version("img", None, "stable", None, ["stable", "never-there"], {})
    latest = store.image_version("img", 2)
    latest.last_modified_time = LONG_AGO
    updated = store.update_image_version("img", None, None, ["stable", "stable", "latest"], None,
                                         {"Processor": "GPU", "JobType": None})
    assert updated is latest and updated.last_modified_time > LONG_AGO
    assert updated.aliases == ["stable", "latest"]
    assert (updated.describe()["Processor"], updated.describe()["JobType"]) == ("GPU", "TRAINING")
    assert store.list_aliases("img", None, None) == ["old", "stable", "latest"]
    assert store.list_aliases("img", 1, None) == ["old"]
    assert store.list_aliases("img", None, "latest") == ["stable", "latest"]
    with pytest.raises(ResourceNotFound, match="No ImageVersion with the name img and version 9"):
        store.list_aliases("img", 9, None)
    with pytest.raises(ResourceNotFound, match="No Image with the name nothing"):
        store.update_image_version("nothing", 1, None, None, None, {})


def test_name_contains_ignores_case_in_both_listings(store):
    store.create_image("Team-Lab", ROLE, None, None, None)
    store.create_app_image_config("Team-Lab", {"JupyterLabAppImageConfig": {}}, None)
    assert [i.name for i in store.list_images("team")] == ["Team-Lab"]
    assert [i.name for i in store.list_images("LAB")] == ["Team-Lab"]
    assert [c.name for c in store.list_app_image_configs("tEAM")] == ["Team-Lab"]
    assert store.list_images("nothing") == []
