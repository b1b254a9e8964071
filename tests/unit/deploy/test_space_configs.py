"""Space images' AppImageConfigs, written by the deploy (provider 3.39 cannot): made tagged as
this stack's, updated only on a change, deleted only when ours; ownership told by the tag."""
import pytest
from botocore.exceptions import ClientError

from studio_containers.deploy import space_configs
from studio_containers.deploy.ownership import check
from studio_containers.errors import UserError
from studio_containers.spec import ContainerConfig
from tests.helpers import made_up_spec

STACK = "team"
OURS = [{"Key": "studio-containers:stack", "Value": STACK}]


class FakeSageMaker:
    """AppImageConfigs as SageMaker keeps them, with their tags; no images, versions or roles."""

    def __init__(self, configs=None):
        self.configs = configs or {}        # name → {"config": {...}, "tags": [...]}
        self.calls = []

    def describe_app_image_config(self, AppImageConfigName):
        if AppImageConfigName not in self.configs:
            raise ClientError({"Error": {"Code": "ResourceNotFound", "Message": "no"}},
                              "DescribeAppImageConfig")
        return {"AppImageConfigName": AppImageConfigName,
                "AppImageConfigArn": f"arn:aic/{AppImageConfigName}",
                **self.configs[AppImageConfigName]["config"]}

    def create_app_image_config(self, AppImageConfigName, Tags, **config):
        self.calls.append("create")
        self.configs[AppImageConfigName] = {"config": config, "tags": Tags}

    def update_app_image_config(self, AppImageConfigName, **config):
        self.calls.append("update")
        self.configs[AppImageConfigName]["config"] = config

    def delete_app_image_config(self, AppImageConfigName):
        self.calls.append("delete")
        del self.configs[AppImageConfigName]

    def list_tags(self, ResourceArn):
        if ResourceArn.startswith("arn:aic/"):
            return {"Tags": self.configs[ResourceArn.removeprefix("arn:aic/")]["tags"]}
        raise AssertionError(ResourceArn)

    def describe_image(self, ImageName):
        raise ClientError({"Error": {"Code": "ResourceNotFound", "Message": "no"}}, "DescribeImage")


def lab(**config) -> object:
    return made_up_spec(name="lab", app_type="JupyterLab", kernels=(),
                        container_config=ContainerConfig(**config) if config else None)


def test_a_space_config_is_made_tagged_then_left_alone_then_updated_on_a_change():
    sm = FakeSageMaker()
    assert space_configs.ensure(sm, lab(), STACK)
    assert sm.configs["lab"] == {"config": {"JupyterLabAppImageConfig": {}}, "tags": OURS}
    assert not space_configs.ensure(sm, lab(), STACK)
    spec = lab(entrypoint=("jupyter-lab",), arguments=("--ServerApp.base_url=/jupyterlab/default",),
               environment=(("A", "1"),))
    assert space_configs.ensure(sm, spec, STACK)
    assert sm.configs["lab"]["config"] == {"JupyterLabAppImageConfig": {"ContainerConfig": {
        "ContainerEntrypoint": ["jupyter-lab"],
        "ContainerArguments": ["--ServerApp.base_url=/jupyterlab/default"],
        "ContainerEnvironmentVariables": {"A": "1"}}}}
    assert not space_configs.ensure(sm, spec, STACK)
    assert sm.calls == ["create", "update"]


def test_a_code_editor_image_gets_a_code_editor_config():
    spec = made_up_spec(name="ce", app_type="CodeEditor", kernels=())
    assert space_configs.wanted(spec) == {"CodeEditorAppImageConfig": {}}


def test_only_our_config_is_deleted():
    sm = FakeSageMaker({"lab": {"config": {"JupyterLabAppImageConfig": {}}, "tags": OURS},
                        "theirs": {"config": {"JupyterLabAppImageConfig": {}}, "tags": []}})
    assert space_configs.remove(sm, "lab", STACK) and "lab" not in sm.configs
    assert not space_configs.remove(sm, "theirs", STACK) and "theirs" in sm.configs
    assert not space_configs.remove(sm, "absent", STACK)


def clients(sm):
    class Nothing:
        """ECR and IAM holding none of it."""
        def __getattr__(self, name):
            code = {"describe_repositories": "RepositoryNotFoundException",
                    "list_role_tags": "NoSuchEntity"}[name]

            def missing(**_):
                raise ClientError({"Error": {"Code": code, "Message": "no"}}, name)
            return missing
    return {"sagemaker": sm, "ecr": Nothing(), "iam": Nothing()}.__getitem__


def test_ownership_of_a_space_config_is_its_tag_and_it_is_never_imported():
    ours = FakeSageMaker({"lab": {"config": {"JupyterLabAppImageConfig": {}}, "tags": OURS}})
    adoption = check(clients(ours), {}, ["lab"], STACK, "p", set(), frozenset({"lab"}))
    assert adoption.images == [] and adoption.repositories == []
    theirs = FakeSageMaker({"lab": {"config": {"JupyterLabAppImageConfig": {}}, "tags": []}})
    with pytest.raises(UserError, match="AppImageConfig lab already exists and is not this stack's"):
        check(clients(theirs), {}, ["lab"], STACK, "p", set(), frozenset({"lab"}))
    # an interrupted run of ours made it but did not get to tag it: adopted as it is
    check(clients(theirs), {}, ["lab"], STACK, "p", {"lab"}, frozenset({"lab"}))
