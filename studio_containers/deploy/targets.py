"""Where a deploy goes: the local AWS (default, offline) or real AWS.

Everything that differs between the two lives here: how clients are made, which Terraform
toolchain and backend are used, and which inputs each requires (a domain id for AWS).
"""
import threading
from dataclasses import dataclass
from typing import Callable

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..console import warn
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
    if name == "local" and settings.deploy_endpoint_url:
        raise UserError("deploy.endpoint_url: applies to --target aws only (the local target "
                        "runs its own local AWS); unset it or deploy with --target aws")
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
                  local_endpoint=endpoint.url, client=one_per_service(endpoint.client),
                  backend_hcl="", backend_config={})


def _aws(settings: Settings) -> Target:
    endpoint = settings.deploy_endpoint_url or None
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
    backend = backend_config(settings)
    config = Config(retries={"max_attempts": 5, "mode": "standard"})

    @one_per_service
    def client(service: str):
        return session.client(service, config=config, endpoint_url=endpoint)
    try:
        client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise UserError(f"--target aws: the credentials found were refused by STS: {exc}") from None
    if backend:
        _check_backend(client, backend)
        if not backend.get("dynamodb_table"):
            warn("deploy.backend has no dynamodb_table: runs from other machines on this state "
                 "and domain do not take turns (see docs/team.md)")
    # An endpoint other than AWS's is a local AWS (a teammate's, or LocalStack): its fidelity is
    # for the provider version of the offline mirror, which also needs no registry.
    toolchain = (offline_toolchain if endpoint else registry_toolchain)(settings.cache_dir)
    hcl = backend_hcl(endpoint, toolchain.version() if endpoint else ()) if backend else ""
    return Target(name="aws", region=settings.aws_region, toolchain=toolchain, terraform_env=env,
                  local_endpoint=endpoint, client=client, backend_hcl=hcl, backend_config=backend)


def one_per_service(make: Callable[[str], object]) -> Callable[[str], object]:
    """Clients made once per service and shared: making one loads its service model (0.1-0.3 s
    each), and boto3's clients may be used from several threads."""
    made: dict[str, object] = {}
    lock = threading.Lock()

    def client(service: str):
        with lock:
            if service not in made:
                made[service] = make(service)
            return made[service]
    return client


def backend_config(settings: Settings) -> dict[str, str]:
    """Terraform's S3 backend settings as `-backend-config` strings (booleans as Terraform spells
    them); its region defaults to the deploy's."""
    backend = {k: (str(v).lower() if isinstance(v, bool) else str(v))
               for k, v in settings.deploy_backend.items() if v not in (None, "")}
    if backend:
        backend.setdefault("region", settings.aws_region)
    return backend


def backend_hcl(endpoint: str | None, terraform_version: tuple[int, ...]) -> str:
    """The backend block: empty on AWS (settings come from backend_config); on another endpoint,
    that endpoint for S3 and DynamoDB, spelled as this Terraform version wants it."""
    if not endpoint:
        return 'terraform {\n  backend "s3" {}\n}\n'
    if terraform_version >= (1, 6):
        lines = [f'endpoints = {{ s3 = "{endpoint}", dynamodb = "{endpoint}" }}',
                 "use_path_style = true", "skip_requesting_account_id = true"]
    else:
        lines = [f'endpoint = "{endpoint}"', f'dynamodb_endpoint = "{endpoint}"',
                 "force_path_style = true"]
    lines += ["skip_credentials_validation = true", "skip_metadata_api_check = true",
              "skip_region_validation = true"]
    body = "".join(f"    {line}\n" for line in lines)
    return f'terraform {{\n  backend "s3" {{\n{body}  }}\n}}\n'


def _check_backend(client, backend: dict[str, str]) -> None:
    """The state bucket and lock table exist: Terraform's own errors for them are obscure, and
    these are made once per team, not by a deploy."""
    bucket, table = backend.get("bucket"), backend.get("dynamodb_table")
    if bucket:
        try:
            client("s3").head_bucket(Bucket=bucket)
        except ClientError as exc:
            raise UserError(f"deploy.backend.bucket {bucket}: {_said(exc)}; create it once for "
                            "the team (aws s3 mb s3://NAME), then run again") from None
    if table:
        try:
            keys = client("dynamodb").describe_table(TableName=table)["Table"]["KeySchema"]
        except ClientError as exc:
            raise UserError(f"deploy.backend.dynamodb_table {table}: {_said(exc)}; create it once "
                            "for the team with a string hash key LockID, then run again") from None
        if [k["AttributeName"] for k in keys if k["KeyType"] == "HASH"] != ["LockID"]:
            raise UserError(f"deploy.backend.dynamodb_table {table}: its hash key must be LockID "
                            "(a string), as Terraform's S3 backend requires")


def _said(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    if code in ("404", "NoSuchBucket", "ResourceNotFoundException"):
        return "does not exist"
    return error.get("Message") or code or str(exc)
