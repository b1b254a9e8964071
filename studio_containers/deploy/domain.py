"""Attaching images to a Studio domain without touching anyone else's.

UpdateDomain replaces the whole CustomImages list, so every change here reads the domain,
changes only the entries named by this stack, and writes back only when something differs.
"""
import json

from botocore.exceptions import ClientError

from ..console import say
from ..errors import UserError

APP_SETTINGS = "KernelGatewayAppSettings"
LOCAL_DOMAIN = "studio-containers-local"


def describe(sm, domain_id: str) -> dict:
    try:
        return sm.describe_domain(DomainId=domain_id)
    except ClientError as exc:
        code, message = exc.response["Error"]["Code"], exc.response["Error"]["Message"]
        if code in ("ResourceNotFound", "ValidationException") and (
                "RecordNotFound" in message or "not" in message.lower()):
            raise UserError(f"deploy.domain_id {domain_id}: no such SageMaker domain in this "
                            "account and region") from None
        raise UserError(f"DescribeDomain {domain_id}: {message}") from None


def custom_images(domain: dict) -> list[dict]:
    settings = domain.get("DefaultUserSettings") or {}
    return list((settings.get(APP_SETTINGS) or {}).get("CustomImages") or [])


def attach(sm, domain_id: str, ours: dict[str, dict], owned: set[str]) -> bool:
    """Makes the domain list exactly `ours` among the names in `owned`; others stay as they are.

    `ours` maps ImageName to its entry (AppImageConfigName, ImageVersionNumber). Returns whether
    the domain was written."""
    current = custom_images(describe(sm, domain_id))
    others = [entry for entry in current if entry["ImageName"] not in owned]
    wanted = others + [{"ImageName": name, **entry} for name, entry in sorted(ours.items())]
    if _canonical(wanted) == _canonical(current):
        return False
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={
        APP_SETTINGS: {"CustomImages": wanted}})
    return True


def _canonical(entries: list[dict]) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for e in entries)


def ensure_local_domain(client) -> str:
    """The local target's domain (with its VPC, subnet and role on the local AWS), made once."""
    sm = client("sagemaker")
    for domain in sm.list_domains().get("Domains", []):
        if domain["DomainName"] == LOCAL_DOMAIN:
            return domain["DomainId"]
    say(f"Creating the local Studio domain {LOCAL_DOMAIN} (VPC, subnet and execution role on "
        "the local AWS)")
    ec2, iam = client("ec2"), client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    try:
        role = iam.create_role(RoleName=f"{LOCAL_DOMAIN}-execution",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        role = iam.get_role(RoleName=f"{LOCAL_DOMAIN}-execution")["Role"]["Arn"]
    arn = sm.create_domain(DomainName=LOCAL_DOMAIN, AuthMode="IAM",
                           DefaultUserSettings={"ExecutionRole": role},
                           SubnetIds=[subnet], VpcId=vpc)["DomainArn"]
    return arn.rsplit("/", 1)[-1]
