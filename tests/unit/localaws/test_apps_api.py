"""The Studio apps API (user profiles, spaces, apps) through boto3 on moto in this process, with a
launcher that only records what it was asked: who may run what, which image and version an app
gets, AWS's errors. Launching for real is tested in tests/integration/localaws/test_apps.py."""
import pytest

from tests.unit.localaws.conftest import ROLE, freeze_clock, install_patches


class RecordingLauncher:
    def __init__(self):
        self.launched, self.stopped = [], []

    def launch(self, app):
        self.launched.append(app)

    def stop(self, app):
        self.stopped.append(app)
        app.status = "Deleted"

    def url(self, app, host="127.0.0.1"):
        return f"http://{host}:1/{app.app_type}?token=t" if app.status == "InService" else None


@pytest.fixture
def launcher(patched, monkeypatch):
    recording = RecordingLauncher()
    install_patches(monkeypatch, {"apps"}, launcher=recording)
    return recording


@pytest.fixture
def images(sagemaker, domain_id, launcher):
    """A KernelGateway image "kg" (versions 1 and 2, alias "1.0" on 1) and a JupyterLab image
    "lab", both attached to the domain's default user settings; "loose" attached nowhere."""
    for name in ("kg", "lab", "loose"):
        sagemaker.create_image(ImageName=name, RoleArn=ROLE)
    sagemaker.create_image_version(ImageName="kg", BaseImage="r/kg:1", Aliases=["1.0"])
    sagemaker.create_image_version(ImageName="kg", BaseImage="r/kg:2")
    sagemaker.create_image_version(ImageName="lab", BaseImage="r/lab:1")
    sagemaker.create_image_version(ImageName="loose", BaseImage="r/loose:1")
    sagemaker.create_app_image_config(AppImageConfigName="kg", KernelGatewayImageConfig={
        "KernelSpecs": [{"Name": "python3"}]})
    sagemaker.create_app_image_config(AppImageConfigName="lab", JupyterLabAppImageConfig={})
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings={
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "kg", "AppImageConfigName": "kg"}]},
        "JupyterLabAppSettings": {"CustomImages": [
            {"ImageName": "lab", "AppImageConfigName": "lab"}]}})
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="Ana")
    sagemaker.create_space(DomainId=domain_id, SpaceName="work",
                           OwnershipSettings={"OwnerUserProfileName": "Ana"})
    return {name: sagemaker.describe_image(ImageName=name)["ImageArn"] for name in ("kg", "lab", "loose")}


def test_user_profiles_and_spaces_follow_aws(sagemaker, domain_id, launcher, client_error):
    arn = sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="Bo-1")["UserProfileArn"]
    assert arn.endswith(f":user-profile/{domain_id}/bo-1")          # AWS lower-cases ARNs
    assert client_error(sagemaker.create_user_profile, DomainId=domain_id,
                        UserProfileName="Bo-1")["Code"] == "ResourceInUse"
    bad = client_error(sagemaker.create_user_profile, DomainId=domain_id, UserProfileName="bo_1")
    assert bad["Code"] == "ValidationException" and "userProfileName" in bad["Message"]
    assert client_error(sagemaker.describe_user_profile, DomainId=domain_id,
                        UserProfileName="nobody")["Code"] == "ResourceNotFound"
    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName="Bo-1",
                                  UserSettings={"ExecutionRole": ROLE})
    described = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName="Bo-1")
    assert (described["Status"], described["UserSettings"]) == ("InService", {"ExecutionRole": ROLE})
    assert [p["UserProfileName"] for p in sagemaker.list_user_profiles(
        DomainIdEquals=domain_id, UserProfileNameContains="bo")["UserProfiles"]] == ["Bo-1"]
    assert client_error(sagemaker.create_space, DomainId=domain_id, SpaceName="s",
                        OwnershipSettings={"OwnerUserProfileName": "nobody"})["Code"] == "ResourceNotFound"
    sagemaker.create_space(DomainId=domain_id, SpaceName="s", SpaceDisplayName="S")
    assert sagemaker.describe_space(DomainId=domain_id, SpaceName="s")["SpaceDisplayName"] == "S"
    sagemaker.delete_space(DomainId=domain_id, SpaceName="s")
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName="Bo-1")
    assert [p["Status"] for p in sagemaker.list_user_profiles()["UserProfiles"]] == ["Deleting"]


def test_a_deleted_profile_or_space_is_deleting_for_a_moment_then_gone(
        sagemaker, domain_id, launcher, client_error, monkeypatch):
    freeze_clock(monkeypatch)
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="bo")
    sagemaker.create_space(DomainId=domain_id, SpaceName="s")
    sagemaker.delete_space(DomainId=domain_id, SpaceName="s")
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName="bo")
    profile = dict(DomainId=domain_id, UserProfileName="bo")
    space = dict(DomainId=domain_id, SpaceName="s")
    assert sagemaker.describe_user_profile(**profile)["Status"] == "Deleting"
    assert sagemaker.describe_space(**space)["Status"] == "Deleting"
    assert [p["Status"] for p in sagemaker.list_user_profiles()["UserProfiles"]] == ["Deleting"]
    assert [s["Status"] for s in sagemaker.list_spaces()["Spaces"]] == ["Deleting"]
    assert client_error(sagemaker.create_user_profile, **profile)["Code"] == "ResourceInUse"
    refused = client_error(sagemaker.create_app, **profile, AppType="JupyterServer",
                           AppName="default")
    assert refused["Code"] == "ValidationException" and "is being deleted" in refused["Message"]
    refused = client_error(sagemaker.create_space, DomainId=domain_id, SpaceName="bos",
                           OwnershipSettings={"OwnerUserProfileName": "bo"})
    assert refused["Code"] == "ValidationException" and "is being deleted" in refused["Message"]
    sagemaker.delete_user_profile(**profile)            # asked again: nothing changes
    # A domain with a profile still deleting cannot go yet either.
    assert client_error(sagemaker.delete_domain, DomainId=domain_id)["Code"] == "ResourceInUse"

    freeze_clock(monkeypatch, after_deletions=True)
    error = client_error(sagemaker.describe_user_profile, **profile)
    assert error == {"Code": "ResourceNotFound", "Message": f"User profile arn:aws:sagemaker:"
                     f"us-east-1:123456789012:user-profile/{domain_id}/bo does not exist."}
    assert client_error(sagemaker.describe_space, **space)["Code"] == "ResourceNotFound"
    assert sagemaker.list_user_profiles()["UserProfiles"] == []
    assert sagemaker.list_spaces()["Spaces"] == []
    sagemaker.create_user_profile(**profile)            # the name is free again


def test_a_deleted_domains_apps_are_not_listed(sagemaker, domain_id, launcher, monkeypatch):
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="bo")
    app = dict(DomainId=domain_id, UserProfileName="bo", AppType="JupyterServer",
               AppName="default")
    sagemaker.create_app(**app)
    sagemaker.delete_app(**app)
    assert [a["Status"] for a in sagemaker.list_apps()["Apps"]] == ["Deleted"]
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName="bo")
    freeze_clock(monkeypatch, after_deletions=True)
    sagemaker.delete_domain(DomainId=domain_id)
    assert sagemaker.list_apps()["Apps"] == []
    assert sagemaker.list_apps(DomainIdEquals=domain_id)["Apps"] == []
    assert sagemaker.list_user_profiles()["UserProfiles"] == []


def test_a_kernel_gateway_app_gets_the_attached_image_newest_version(sagemaker, domain_id, images,
                                                                     launcher):
    arn = sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="KernelGateway",
                               AppName="kg-app", ResourceSpec={"SageMakerImageArn": images["kg"]})["AppArn"]
    assert arn.endswith(f":app/{domain_id}/ana/kernelgateway/kg-app")
    [app] = launcher.launched
    assert app.runtime["image"] == "resolved/r/kg:2" and app.runtime["version"] == 2
    assert app.runtime["config"] == {"KernelSpecs": [{"Name": "python3"}]}
    described = sagemaker.describe_app(DomainId=domain_id, UserProfileName="Ana",
                                       AppType="KernelGateway", AppName="kg-app")
    assert described["Status"] == "Pending"
    assert described["ResourceSpec"]["SageMakerImageVersionArn"].endswith("/kg/2")
    assert [a["AppName"] for a in sagemaker.list_apps(UserProfileNameEquals="Ana")["Apps"]] == ["kg-app"]


@pytest.mark.parametrize("spec, version", [({"SageMakerImageVersionAlias": "1.0"}, 1),
                                           ({"version_arn": 1}, 1)])
def test_an_app_may_ask_for_a_version_by_alias_or_arn(sagemaker, domain_id, images, launcher,
                                                      spec, version):
    if "version_arn" in spec:
        spec = {"SageMakerImageVersionArn": sagemaker.describe_image_version(
            ImageName="kg", Version=1)["ImageVersionArn"]}
    else:
        spec = {**spec, "SageMakerImageArn": images["kg"]}
    sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="KernelGateway",
                         AppName="kg-app", ResourceSpec=spec)
    assert launcher.launched[0].runtime["version"] == version


def test_what_studio_refuses_at_create_app(sagemaker, domain_id, images, launcher, client_error):
    def create(**kw):
        return client_error(sagemaker.create_app, DomainId=domain_id, **kw)
    loose = create(UserProfileName="Ana", AppType="KernelGateway", AppName="x",
                   ResourceSpec={"SageMakerImageArn": images["loose"]})
    assert loose["Code"] == "ValidationException" and "loose is not attached to Ana" in loose["Message"]
    assert "runs custom images only" in create(UserProfileName="Ana", AppType="KernelGateway",
                                               AppName="x")["Message"]
    assert "cannot be created for a user profile" in create(
        UserProfileName="Ana", AppType="JupyterLab", AppName="default",
        ResourceSpec={"SageMakerImageArn": images["lab"]})["Message"]
    assert "AppName must be 'default'" in create(SpaceName="work", AppType="JupyterLab",
                                                 AppName="other",
                                                 ResourceSpec={"SageMakerImageArn": images["lab"]})["Message"]
    assert create(UserProfileName="Ana", SpaceName="work", AppType="JupyterServer",
                  AppName="default")["Code"] == "ValidationException"
    assert create(UserProfileName="nobody", AppType="JupyterServer",
                  AppName="default")["Code"] == "ResourceNotFound"
    assert launcher.launched == []


def test_one_live_app_per_name_and_a_space_with_apps_is_not_deleted(sagemaker, domain_id, images,
                                                                      launcher, client_error):
    app = dict(DomainId=domain_id, SpaceName="work", AppType="JupyterLab", AppName="default")
    sagemaker.create_app(**app, ResourceSpec={"SageMakerImageArn": images["lab"]})
    assert launcher.launched[0].runtime["config"] == {}
    assert client_error(sagemaker.create_app, **app,
                        ResourceSpec={"SageMakerImageArn": images["lab"]})["Code"] == "ResourceInUse"
    assert client_error(sagemaker.delete_space, DomainId=domain_id,
                        SpaceName="work")["Code"] == "ResourceInUse"
    sagemaker.delete_app(**app)
    assert launcher.stopped == launcher.launched
    assert sagemaker.describe_app(**app)["Status"] == "Deleted"
    assert client_error(sagemaker.delete_app, **app)["Code"] == "ResourceNotFound"
    sagemaker.create_app(**app, ResourceSpec={"SageMakerImageArn": images["lab"]})   # again
    assert sagemaker.describe_app(**app)["Status"] == "Pending"


def test_the_presigned_url_is_the_running_apps(sagemaker, domain_id, images, launcher, client_error):
    assert "No app of user profile Ana" in client_error(
        sagemaker.create_presigned_domain_url, DomainId=domain_id, UserProfileName="Ana")["Message"]
    sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="JupyterServer",
                         AppName="default")
    launcher.launched[0].status = "InService"
    assert sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName="Ana")[
        "AuthorizedUrl"] == "http://127.0.0.1:1/JupyterServer?token=t"


def test_an_image_a_user_profile_lists_cannot_be_deleted(sagemaker, domain_id, images, launcher,
                                                          client_error):
    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName="Ana", UserSettings={
        "KernelGatewayAppSettings": {"CustomImages": [
            {"ImageName": "loose", "AppImageConfigName": "kg"}]}})
    refused = client_error(sagemaker.delete_image, ImageName="loose")
    assert refused["Code"] == "ResourceInUse" and "(user profile Ana)" in refused["Message"]
    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName="Ana", UserSettings={
        "KernelGatewayAppSettings": {"CustomImages": []}})
    sagemaker.delete_image(ImageName="loose")


def test_a_profile_may_list_only_images_that_exist_and_fit(sagemaker, domain_id, images,
                                                                     launcher, client_error):
    missing = client_error(sagemaker.update_user_profile, DomainId=domain_id, UserProfileName="Ana",
                           UserSettings={"KernelGatewayAppSettings": {"CustomImages": [
                               {"ImageName": "nope", "AppImageConfigName": "kg"}]}})
    assert missing["Code"] == "ResourceNotFound"
    wrong_kind = client_error(sagemaker.update_user_profile, DomainId=domain_id,
                              UserProfileName="Ana",
                              UserSettings={"JupyterLabAppSettings": {"CustomImages": [
                                  {"ImageName": "lab", "AppImageConfigName": "kg"}]}})
    assert wrong_kind["Code"] == "ValidationException" and "has no JupyterLabAppImageConfig" in \
        wrong_kind["Message"]


def test_settings_never_given_are_left_out_as_aws_does(sagemaker, domain_id, launcher):
    # An empty UserSettings or SpaceSettings object would read back into Terraform as a settings
    # block the configuration lacks, and every plan would remove it again.
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="bare")
    assert "UserSettings" not in sagemaker.describe_user_profile(DomainId=domain_id,
                                                                 UserProfileName="bare")
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="set",
                                  UserSettings={"ExecutionRole": ROLE})
    assert sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName="set")[
        "UserSettings"] == {"ExecutionRole": ROLE}
    sagemaker.create_space(DomainId=domain_id, SpaceName="bare")
    assert "SpaceSettings" not in sagemaker.describe_space(DomainId=domain_id, SpaceName="bare")
    sagemaker.create_space(DomainId=domain_id, SpaceName="set",
                           SpaceSettings={"AppType": "JupyterLab"})
    assert sagemaker.describe_space(DomainId=domain_id, SpaceName="set")["SpaceSettings"] == {
        "AppType": "JupyterLab"}


def test_profiles_spaces_and_apps_have_tags(sagemaker, domain_id, images, launcher, client_error,
                                            monkeypatch):
    from tests.aws_model import RawResponses, response_errors, service_model

    raw = RawResponses(sagemaker)
    profile = sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="tagged",
                                            Tags=[{"Key": "a", "Value": "1"}])["UserProfileArn"]
    space = sagemaker.describe_space(DomainId=domain_id, SpaceName="work")["SpaceArn"]
    app = sagemaker.create_app(DomainId=domain_id, UserProfileName="tagged",
                               AppType="JupyterServer", AppName="default",
                               Tags=[{"Key": "b", "Value": "2"}])["AppArn"]
    assert sagemaker.list_tags(ResourceArn=profile)["Tags"] == [{"Key": "a", "Value": "1"}]
    assert sagemaker.list_tags(ResourceArn=space)["Tags"] == []
    assert sagemaker.list_tags(ResourceArn=app)["Tags"] == [{"Key": "b", "Value": "2"}]

    sagemaker.add_tags(ResourceArn=profile, Tags=[{"Key": "a", "Value": "one"},
                                                  {"Key": "c", "Value": "3"}])
    assert sagemaker.list_tags(ResourceArn=profile)["Tags"] == [{"Key": "a", "Value": "one"},
                                                                {"Key": "c", "Value": "3"}]
    sagemaker.delete_tags(ResourceArn=profile, TagKeys=["a"])
    assert sagemaker.list_tags(ResourceArn=profile)["Tags"] == [{"Key": "c", "Value": "3"}]
    sagemaker.add_tags(ResourceArn=space, Tags=[{"Key": "s", "Value": "x"}])
    assert sagemaker.list_tags(ResourceArn=space)["Tags"] == [{"Key": "s", "Value": "x"}]
    model = service_model("sagemaker")
    for operation, body in raw.bodies:
        assert response_errors(model.operation_model(operation), body) == [], (operation, body)

    # Other resources' tags are answered as before.
    assert sagemaker.list_tags(ResourceArn=images["kg"])["Tags"] == []

    # A deleted app's ARN names nothing any more (nor a deleted profile's), as on AWS.
    sagemaker.delete_app(DomainId=domain_id, UserProfileName="tagged", AppType="JupyterServer",
                         AppName="default")
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName="tagged")
    freeze_clock(monkeypatch, after_deletions=True)
    for arn in (app, profile):
        gone = client_error(sagemaker.list_tags, ResourceArn=arn)
        assert (gone["Code"], gone["Message"]) == ("ValidationException", "Resource does not exist")


def test_a_failed_apps_tags_are_gone_as_aws_deletes_a_failed_app(sagemaker, domain_id, images,
                                                                  launcher, client_error):
    arn = sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="JupyterServer",
                               AppName="default", Tags=[{"Key": "k", "Value": "v"}])["AppArn"]
    launcher.launched[0].status = "Failed"
    assert client_error(sagemaker.list_tags, ResourceArn=arn)["Code"] == "ValidationException"
    again = sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana",
                                 AppType="JupyterServer", AppName="default")["AppArn"]
    assert again == arn and sagemaker.list_tags(ResourceArn=arn)["Tags"] == []


def test_names_differing_only_in_case_are_one_resource_and_listings_ascend(
        sagemaker, domain_id, images, launcher, client_error):
    assert client_error(sagemaker.create_user_profile, DomainId=domain_id,
                        UserProfileName="ANA")["Code"] == "ResourceInUse"
    assert sagemaker.describe_user_profile(DomainId=domain_id,
                                           UserProfileName="ana")["UserProfileName"] == "Ana"
    for name in ("first", "second"):
        sagemaker.create_app(DomainId=domain_id, UserProfileName="ana", AppType="KernelGateway",
                             AppName=name, ResourceSpec={"SageMakerImageArn": images["kg"]})
    assert client_error(sagemaker.create_app, DomainId=domain_id, UserProfileName="Ana",
                        AppType="KernelGateway", AppName="FIRST",
                        ResourceSpec={"SageMakerImageArn": images["kg"]})["Code"] == "ResourceInUse"
    listed = sagemaker.list_apps(DomainIdEquals=domain_id)["Apps"]
    assert [a["AppName"] for a in listed] == ["first", "second"]       # oldest first by default
    assert {a["UserProfileName"] for a in listed} == {"Ana"}
    assert [a["AppName"] for a in sagemaker.list_apps(SortOrder="Descending")["Apps"]] == [
        "second", "first"]


def test_deleting_a_profile_with_live_apps_is_refused(sagemaker, domain_id, images, launcher,
                                                      client_error):
    sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="JupyterServer",
                         AppName="default")
    assert client_error(sagemaker.delete_user_profile, DomainId=domain_id,
                        UserProfileName="Ana")["Code"] == "ResourceInUse"


def test_a_domain_with_user_profiles_or_spaces_is_not_deleted(sagemaker, domain_id, images,
                                                              launcher, client_error,
                                                              monkeypatch):
    refused = client_error(sagemaker.delete_domain, DomainId=domain_id)
    assert refused["Code"] == "ResourceInUse" and "user profile Ana" in refused["Message"]
    sagemaker.delete_space(DomainId=domain_id, SpaceName="work")
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName="Ana")
    freeze_clock(monkeypatch, after_deletions=True)
    sagemaker.delete_domain(DomainId=domain_id)


def test_an_app_runs_as_its_owners_execution_role_else_the_domains(sagemaker, domain_id, images,
                                                                   launcher):
    own = "arn:aws:iam::123456789012:role/ana-own"
    spec = {"SageMakerImageArn": images["kg"]}
    sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="KernelGateway",
                         AppName="first", ResourceSpec=spec)
    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName="Ana",
                                  UserSettings={"ExecutionRole": own})
    sagemaker.create_app(DomainId=domain_id, UserProfileName="Ana", AppType="KernelGateway",
                         AppName="second", ResourceSpec=spec)
    assert [a.runtime["execution_role"] for a in launcher.launched] == [ROLE, own]
