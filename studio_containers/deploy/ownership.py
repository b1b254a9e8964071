"""Tells this stack's resources from other teams', and adopts what an interrupted run made.

A resource that Terraform's state lacks but AWS has is imported when it is ours: tagged
studio-containers:stack=<stack>, or named in the record of an `up` that did not finish (app
image configs cannot be tagged with provider 3.39). Anything else is someone else's and stops
the deploy before any write.
"""
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from ..errors import UserError
from .stack import addresses

TAG = "studio-containers:stack"


def role_name(name: str) -> str:
    return f"{name}-studio-image"[:64]


@dataclass
class Adoption:
    """Imports to run, grouped by when their module instance exists in the configuration."""
    repositories: list[tuple[str, str]] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)


def _missing(error: ClientError, *codes: str) -> bool:
    return error.response["Error"]["Code"] in codes


def check(client, state: dict, names: list[str], stack: str, prefix: str,
          pending: set[str]) -> Adoption:
    ecr, iam, sm = client("ecr"), client("iam"), client("sagemaker")
    adoption = Adoption()
    for name in names:
        at = addresses(name)
        interrupted = name in pending
        repo = f"{prefix}/{name}"
        if at["repository"] not in state:
            try:
                found = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]
            except ClientError as exc:
                if not _missing(exc, "RepositoryNotFoundException"):
                    raise
                found = None
            if found:
                tags = ecr.list_tags_for_resource(resourceArn=found["repositoryArn"])["tags"]
                _own(interrupted or {"Key": TAG, "Value": stack} in tags,
                     f"ECR repository {repo}", stack)
                adoption.repositories.append((at["repository"], repo))
                try:
                    ecr.get_lifecycle_policy(repositoryName=repo)
                    adoption.repositories.append((at["lifecycle"], repo))
                except ClientError as exc:
                    if not _missing(exc, "LifecyclePolicyNotFoundException"):
                        raise
        image_ours = at["image"] in state
        if not image_ours:
            try:
                arn = sm.describe_image(ImageName=name)["ImageArn"]
            except ClientError as exc:
                if not _missing(exc, "ResourceNotFound"):
                    raise
                arn = None
            if arn:
                tags = sm.list_tags(ResourceArn=arn).get("Tags", [])
                _own(interrupted or {"Key": TAG, "Value": stack} in tags,
                     f"SageMaker Image {name}", stack)
                adoption.images.append((at["image"], name))
                image_ours = True
        if at["config"] not in state:
            try:
                sm.describe_app_image_config(AppImageConfigName=name)
                exists = True
            except ClientError as exc:
                if not _missing(exc, "ResourceNotFound"):
                    raise
                exists = False
            if exists:
                _own(interrupted or image_ours, f"AppImageConfig {name}", stack)
                adoption.images.append((at["config"], name))
        if at["role"] not in state:
            role = role_name(name)
            try:
                tags = iam.list_role_tags(RoleName=role).get("Tags", [])
                exists = True
            except ClientError as exc:
                if not _missing(exc, "NoSuchEntity"):
                    raise
                exists = False
            if exists:
                _own(interrupted or {"Key": TAG, "Value": stack} in tags, f"IAM role {role}",
                     stack)
                adoption.images.append((at["role"], role))
                try:
                    iam.get_role_policy(RoleName=role, PolicyName="ecr-pull")
                    adoption.images.append((at["role_policy"], f"{role}:ecr-pull"))
                except ClientError as exc:
                    if not _missing(exc, "NoSuchEntity"):
                        raise
    return adoption


def _own(ours: bool, what: str, stack: str) -> None:
    if not ours:
        raise UserError(f"{what} already exists and is not this stack's (no tag {TAG}={stack}); "
                        "refusing to adopt it. Rename the image folder (and its name:) or remove "
                        "the other resource.")


def adopt_version(client, state: dict, name: str, base_image: str) -> list[tuple[str, str]]:
    """The ImageVersion an interrupted apply made for this digest, if it is the latest."""
    at = addresses(name)
    if at["version"] in state:
        return []
    try:
        latest = client("sagemaker").describe_image_version(ImageName=name)
    except ClientError as exc:
        if _missing(exc, "ResourceNotFound"):
            return []
        raise
    return [(at["version"], name)] if latest.get("BaseImage") == base_image else []
