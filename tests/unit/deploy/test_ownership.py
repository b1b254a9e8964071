"""Ownership: what AWS holds outside the state is adopted only when it is this stack's.

The fakes answer as ECR, IAM and SageMaker do, down to the ClientError codes for "no such thing".
"""
import pytest
from botocore.exceptions import ClientError

from studio_containers.deploy.contract import addresses
from studio_containers.deploy.ownership import adopt_version, check
from studio_containers.errors import UserError

STACK, PREFIX = "team", "p"
OURS = [{"Key": "studio-containers:stack", "Value": STACK}]
THEIRS = [{"Key": "studio-containers:stack", "Value": "other-team"}]
URI = "registry/p/a@sha256:" + "1" * 64
OLD_URI = "registry/p/a@sha256:" + "0" * 64


def not_found(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "not found"}}, operation)


class FakeEcr:
    def __init__(self, repositories=None, lifecycle=()):
        self.repositories = repositories or {}      # name → tags
        self.lifecycle = set(lifecycle)             # names with a lifecycle policy

    def describe_repositories(self, repositoryNames):
        [name] = repositoryNames
        if name not in self.repositories:
            raise not_found("RepositoryNotFoundException", "DescribeRepositories")
        return {"repositories": [{"repositoryName": name, "repositoryArn": f"arn:ecr:{name}"}]}

    def list_tags_for_resource(self, resourceArn):
        return {"tags": self.repositories[resourceArn.removeprefix("arn:ecr:")]}

    def get_lifecycle_policy(self, repositoryName):
        if repositoryName not in self.lifecycle:
            raise not_found("LifecyclePolicyNotFoundException", "GetLifecyclePolicy")
        return {"repositoryName": repositoryName, "lifecyclePolicyText": "{}"}


class FakeIam:
    def __init__(self, roles=None, policies=()):
        self.roles = roles or {}                    # role name → tags
        self.policies = set(policies)               # (role name, policy name)

    def list_role_tags(self, RoleName):
        if RoleName not in self.roles:
            raise not_found("NoSuchEntity", "ListRoleTags")
        return {"Tags": self.roles[RoleName], "IsTruncated": False}

    def get_role_policy(self, RoleName, PolicyName):
        if (RoleName, PolicyName) not in self.policies:
            raise not_found("NoSuchEntity", "GetRolePolicy")
        return {"RoleName": RoleName, "PolicyName": PolicyName, "PolicyDocument": "{}"}


class FakeSageMaker:
    def __init__(self, images=None, configs=(), versions=None):
        self.images = images or {}                  # image name → tags
        self.configs = set(configs)                 # app image config names
        self.versions = versions or {}              # image name → BaseImages, oldest first

    def describe_image(self, ImageName):
        if ImageName not in self.images:
            raise not_found("ResourceNotFound", "DescribeImage")
        return {"ImageName": ImageName, "ImageArn": f"arn:image:{ImageName}"}

    def list_tags(self, ResourceArn):
        return {"Tags": self.images[ResourceArn.removeprefix("arn:image:")]}

    def describe_app_image_config(self, AppImageConfigName):
        if AppImageConfigName not in self.configs:
            raise not_found("ResourceNotFound", "DescribeAppImageConfig")
        return {"AppImageConfigName": AppImageConfigName}

    def describe_image_version(self, ImageName, Version=None):
        versions = self.versions.get(ImageName)
        if not versions:
            raise not_found("ResourceNotFound", "DescribeImageVersion")
        number = Version or len(versions)          # no Version: the latest
        return {"ImageName": ImageName, "Version": number, "BaseImage": versions[number - 1]}


class Untouchable:
    """A client that must not be asked anything."""

    def __getattr__(self, name):
        raise AssertionError(f"{name} was called")


def clients(ecr=None, iam=None, sm=None):
    made = {"ecr": ecr or FakeEcr(), "iam": iam or FakeIam(), "sagemaker": sm or FakeSageMaker()}
    return made.__getitem__


def everything_of_a(tags) -> object:
    """AWS holding all that `up` makes for image a, tagged `tags` where AWS has tags."""
    return clients(FakeEcr({"p/a": tags}, lifecycle={"p/a"}),
                   FakeIam({"a-studio-image": tags}, {("a-studio-image", "ecr-pull")}),
                   FakeSageMaker({"a": tags}, configs={"a"}))


AT = addresses("a")
ALL_REPOSITORY_IMPORTS = [(AT["repository"], "p/a"), (AT["lifecycle"], "p/a")]
ALL_IMAGE_IMPORTS = [(AT["image"], "a"), (AT["config"], "a"), (AT["role"], "a-studio-image"),
                     (AT["role_policy"], "a-studio-image:ecr-pull")]


def test_what_is_tagged_with_this_stack_is_adopted_with_its_policies():
    adoption = check(everything_of_a(OURS), {}, ["a", "b"], STACK, PREFIX, set())
    assert adoption.repositories == ALL_REPOSITORY_IMPORTS
    assert adoption.images == ALL_IMAGE_IMPORTS


def test_nothing_in_aws_nothing_to_adopt():
    adoption = check(clients(), {}, ["a"], STACK, PREFIX, set())
    assert adoption.repositories == [] and adoption.images == []


def test_what_the_state_holds_is_not_asked_about():
    state = {address: {} for address in AT.values()}
    untouchable = clients(Untouchable(), Untouchable(), Untouchable())
    adoption = check(untouchable, state, ["a"], STACK, PREFIX, set())
    assert adoption.repositories == [] and adoption.images == []
    assert adopt_version(untouchable, state, "a", URI) == []


def test_a_repository_and_role_without_their_policies_are_adopted_alone():
    aws = clients(FakeEcr({"p/a": OURS}), FakeIam({"a-studio-image": OURS}))
    adoption = check(aws, {}, ["a"], STACK, PREFIX, set())
    assert adoption.repositories == [(AT["repository"], "p/a")]
    assert adoption.images == [(AT["role"], "a-studio-image")]


@pytest.mark.parametrize("tags", [THEIRS, []], ids=["other stack", "untagged"])
@pytest.mark.parametrize("aws, what", [
    (lambda tags: clients(ecr=FakeEcr({"p/a": tags})), "ECR repository p/a"),
    (lambda tags: clients(sm=FakeSageMaker({"a": tags})), "SageMaker Image a"),
    (lambda tags: clients(iam=FakeIam({"a-studio-image": tags})), "IAM role a-studio-image"),
], ids=["repository", "image", "role"])
def test_someone_elses_resource_is_refused_in_one_line(aws, what, tags):
    with pytest.raises(UserError) as info:
        check(aws(tags), {}, ["a"], STACK, PREFIX, set())
    message = str(info.value)
    whose = ("tagged studio-containers:stack=other-team: stack other-team's" if tags else
             "no studio-containers:stack tag at all: made outside this tool")
    assert message.startswith(f"{what} already exists and is not this stack's ({whose}; this "
                              "stack is team); refusing to adopt it.")
    assert "\n" not in message


@pytest.mark.parametrize("tags", [THEIRS, []], ids=["other stack", "untagged"])
def test_what_an_interrupted_run_made_is_adopted_whatever_its_tags(tags):
    adoption = check(everything_of_a(tags), {}, ["a"], STACK, PREFIX, {"a"})
    assert adoption.repositories == ALL_REPOSITORY_IMPORTS
    assert adoption.images == ALL_IMAGE_IMPORTS


def test_an_app_image_config_is_adopted_when_the_image_is_ours():
    # Provider 3.39 cannot tag app image configs: the image they are named after vouches.
    aws = clients(sm=FakeSageMaker(configs={"a"}))
    with pytest.raises(UserError, match="^AppImageConfig a already exists and is not this stack's "
                                        r"\(its image is not tagged studio-containers:stack=team;"):
        check(aws, {}, ["a"], STACK, PREFIX, set())
    in_state = check(aws, {AT["image"]: {}}, ["a"], STACK, PREFIX, set())
    assert in_state.images == [(AT["config"], "a")]
    aws = clients(sm=FakeSageMaker({"a": OURS}, configs={"a"}))
    adopted = check(aws, {}, ["a"], STACK, PREFIX, set())
    assert adopted.images == [(AT["image"], "a"), (AT["config"], "a")]


def test_other_aws_errors_are_not_taken_for_absence():
    class DeniedEcr(FakeEcr):
        def describe_repositories(self, repositoryNames):
            raise not_found("AccessDeniedException", "DescribeRepositories")
    with pytest.raises(ClientError, match="AccessDeniedException"):
        check(clients(ecr=DeniedEcr()), {}, ["a"], STACK, PREFIX, set())


@pytest.mark.parametrize("versions, adopted", [
    ([URI], True),
    ([OLD_URI, URI], True),
    ([URI, OLD_URI], False),          # the pushed digest is an older version: not this run's
    ([OLD_URI], False),
    ([], False),
], ids=["only", "latest", "older", "other digest", "no version"])
def test_only_the_latest_version_of_the_pushed_digest_is_adopted(versions, adopted):
    aws = clients(sm=FakeSageMaker(versions={"a": versions}))
    assert adopt_version(aws, {}, "a", URI) == ([(AT["version"], "a")] if adopted else [])
