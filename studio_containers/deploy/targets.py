"""Where a deploy goes: the local AWS (default, offline) or real AWS.

Everything that differs between the two lives here: how clients are made, which Terraform
toolchain and backend are used, and which inputs each requires (a domain id for AWS).
"""
from dataclasses import dataclass
from typing import Callable

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import UserError
from ..localaws.control import LocalAws
from ..settings import TARGETS, Settings
from .toolchain import Toolchain, offline_toolchain, registry_toolchain

CREDENTIAL_CHAIN = ("environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE), "
                    "shared credentials and config files (~/.aws/credentials, ~/.aws/config, "
                    "SSO and process credentials), container and EC2 instance metadata")


@dataclass
class Target:
    name: str
    region: str
    toolchain: Toolchain
    terraform_env: dict[str, str]
    local_endpoint: str | None
    client: Callable[[str], object]
    backend_hcl: str
    backend_config: dict[str, str]


def check_target_name(name: str) -> str:
    if name not in TARGETS:
        raise UserError(f"--target {name}: unknown target; allowed: {', '.join(TARGETS)}")
    return name


def check_inputs(settings: Settings, name: str) -> None:
    """Everything a target needs that can be checked without calling AWS."""
    check_target_name(name)
    if name == "aws":
        if not settings.deploy_domain_id:
            raise UserError("deploy.domain_id: required for --target aws (the Studio domain to "
                            "attach images to); set it in invoke.yaml or INVOKE_DEPLOY_DOMAIN_ID")
        backend = settings.deploy_backend
        if backend.get("bucket") and not backend.get("key"):
            raise UserError("deploy.backend.key: required when deploy.backend.bucket is set")


def open_target(settings: Settings, name: str) -> Target:
    check_inputs(settings, name)
    if name == "local":
        return _local(settings)
    return _aws(settings)


def _local(settings: Settings) -> Target:
    endpoint = LocalAws(settings).ensure_started()
    env = {k: v for k, v in endpoint.environment().items() if k != "AWS_ENDPOINT_URL"}
    return Target(name="local", region=endpoint.region,
                  toolchain=offline_toolchain(settings.cache_dir), terraform_env=env,
                  local_endpoint=endpoint.url, client=endpoint.client, backend_hcl="",
                  backend_config={})


def _aws(settings: Settings) -> Target:
    session = boto3.session.Session(profile_name=settings.deploy_aws_profile or None,
                                    region_name=settings.aws_region)
    try:
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        raise UserError(f"--target aws: AWS credentials could not be loaded: {exc}") from None
    if credentials is None:
        raise UserError(f"--target aws: no AWS credentials found; tried {CREDENTIAL_CHAIN}")
    frozen = credentials.get_frozen_credentials()
    env = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key,
           "AWS_REGION": settings.aws_region, "AWS_DEFAULT_REGION": settings.aws_region}
    if frozen.token:
        env["AWS_SESSION_TOKEN"] = frozen.token
    backend = {k: str(v) for k, v in settings.deploy_backend.items() if v}
    config = Config(retries={"max_attempts": 5, "mode": "standard"})

    def client(service: str):
        return session.client(service, config=config)
    try:
        client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise UserError(f"--target aws: the credentials found were refused by STS: {exc}") from None
    return Target(name="aws", region=settings.aws_region,
                  toolchain=registry_toolchain(settings.cache_dir), terraform_env=env,
                  local_endpoint=None, client=client,
                  backend_hcl='terraform {\n  backend "s3" {}\n}\n' if backend else "",
                  backend_config=backend)
