"""Tells this stack's resources from other teams', and adopts what an interrupted run made.

A resource that Terraform's state lacks but AWS has is imported when it is ours: tagged
studio-containers:stack=<stack>, or named in the record of an `up` that did not finish (app
image configs cannot be tagged with provider 3.39). Anything else is someone else's and stops
the deploy before any write.
"""
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from ..errors import UserError
from .contract import ROLE_POLICY, TAG, addresses, repository_name, role_name


@dataclass
class Adoption:
    """Imports to run, grouped by when their module instance exists in the configuration."""
    repositories: list[tuple[str, str]] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)


def _missing(error: ClientError, *codes: str) -> bool:
    return error.response["Error"]["Code"] in codes


def _lookup(call, missing_code: str, **params):
    """The answer of a describe-style call, or None when AWS says there is no such thing."""
    try:
        return call(**params)
    except ClientError as exc:
        if _missing(exc, missing_code):
            return None
        raise


def check(client, state: dict, names: list[str], stack: str, prefix: str,
          pending: set[str], spaces: frozenset[str] = frozenset(),
          own_repository: frozenset[str] = frozenset()) -> Adoption:
    """What of `names` AWS holds outside the state: ours is to be imported, anything else stops
    the deploy. `spaces`: images whose AppImageConfig the deploy writes itself (space_configs.py)
    and tags, so it is told ours by its tag and never imported. `own_repository`: images
    adopted with their team's repository, which this stack does not manage (adopted.py)."""
    ecr, iam, sm = client("ecr"), client("iam"), client("sagemaker")
    adoption = Adoption()
    for name in names:
        at = addresses(name)
        interrupted = name in pending
        repo = repository_name(prefix, name)
        if at["repository"] not in state and name not in own_repository:
            found = _lookup(ecr.describe_repositories, "RepositoryNotFoundException",
                            repositoryNames=[repo])
            if found:
                arn = found["repositories"][0]["repositoryArn"]
                tags = ecr.list_tags_for_resource(resourceArn=arn)["tags"]
                refuse_unless_ours(interrupted or {"Key": TAG, "Value": stack} in tags,
                                   f"ECR repository {repo}", stack, tags)
                adoption.repositories.append((at["repository"], repo))
                if _lookup(ecr.get_lifecycle_policy, "LifecyclePolicyNotFoundException",
                           repositoryName=repo):
                    adoption.repositories.append((at["lifecycle"], repo))
        image_ours = at["image"] in state
        if not image_ours:
            image = _lookup(sm.describe_image, "ResourceNotFound", ImageName=name)
            if image:
                tags = sm.list_tags(ResourceArn=image["ImageArn"]).get("Tags", [])
                refuse_unless_ours(interrupted or {"Key": TAG, "Value": stack} in tags,
                                   f"SageMaker Image {name}", stack, tags)
                adoption.images.append((at["image"], name))
                image_ours = True
        config = (None if at["config"] in state else
                  _lookup(sm.describe_app_image_config, "ResourceNotFound", AppImageConfigName=name))
        if config and name in spaces:
            tags = sm.list_tags(ResourceArn=config["AppImageConfigArn"]).get("Tags", [])
            refuse_unless_ours(interrupted or {"Key": TAG, "Value": stack} in tags,
                               f"AppImageConfig {name}", stack, tags)
        elif config:
            refuse_unless_ours(interrupted or image_ours, f"AppImageConfig {name}", stack)
            adoption.images.append((at["config"], name))
        if at["role"] not in state:
            role = role_name(name)
            listed = _lookup(iam.list_role_tags, "NoSuchEntity", RoleName=role)
            if listed is not None:
                role_tags = listed.get("Tags", [])
                refuse_unless_ours(interrupted or {"Key": TAG, "Value": stack} in role_tags,
                                   f"IAM role {role}", stack, role_tags)
                adoption.images.append((at["role"], role))
                if _lookup(iam.get_role_policy, "NoSuchEntity", RoleName=role,
                           PolicyName=ROLE_POLICY):
                    adoption.images.append((at["role_policy"], f"{role}:{ROLE_POLICY}"))
    return adoption


def refuse_unless_ours(ours: bool, what: str, stack: str, tags: list[dict] | None = None) -> None:
    """`tags`: the resource's (Key/Value pairs), to name whose it is; None where it has none of
    its own (a KernelGateway AppImageConfig: its image's stack owns it)."""
    if ours:
        return
    owners = sorted({t.get("Value") for t in tags or [] if t.get("Key") == TAG})
    whose = (f"tagged {TAG}={', '.join(owners)}: stack {', '.join(owners)}'s"
             if owners else f"no {TAG} tag at all: made outside this tool"
             if tags is not None else f"its image is not tagged {TAG}={stack}")
    raise UserError(f"{what} already exists and is not this stack's ({whose}; this stack is "
                    f"{stack}); refusing to adopt it. Rename the image folder (and its name:) "
                    "or remove the other resource.")


def adopt_version(client, state: dict, name: str, base_image: str) -> list[tuple[str, str]]:
    """The ImageVersion an interrupted apply made for this digest, if it is the latest."""
    at = addresses(name)
    if at["version"] in state:
        return []
    latest = _lookup(client("sagemaker").describe_image_version, "ResourceNotFound",
                     ImageName=name)
    return [(at["version"], name)] if latest and latest.get("BaseImage") == base_image else []
