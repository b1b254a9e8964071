"""Attaching images and lifecycle configs to a Studio domain without touching anyone else's.

A domain lists custom images per app: KernelGateway images in KernelGatewayAppSettings, space
images in JupyterLabAppSettings or CodeEditorAppSettings; and in the same members, lifecycle
configs (LifecycleConfigArns, and the default in DefaultResourceSpec). UpdateDomain replaces a
whole list, so every change here reads the domain, changes only the entries named by this
stack, and writes back only the members that differ.
"""
import json
import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from ..console import say
from ..errors import UserError
from ..lifecycle_spec import LIFECYCLE_APP_TYPES
from ..runtime.app_credentials import LOCAL_EXECUTION_ROLE
from ..studio import APP_SETTINGS_OF, KERNEL_GATEWAY

LOCAL_DOMAIN = "studio-containers-local"
WRITE_ROUNDS = 5


class DomainMissing(UserError):
    pass


def describe(sm, domain_id: str) -> dict:
    try:
        return sm.describe_domain(DomainId=domain_id)
    except ClientError as exc:
        code, message = exc.response["Error"]["Code"], exc.response["Error"]["Message"]
        if code in ("ResourceNotFound", "ValidationException") and (
                "RecordNotFound" in message or "not" in message.lower()):
            raise DomainMissing(f"deploy.domain_id {domain_id}: no such SageMaker domain in this "
                            "account and region") from None
        raise UserError(f"DescribeDomain {domain_id}: {message}") from None


def custom_images(domain: dict, app_type: str = KERNEL_GATEWAY) -> list[dict]:
    settings = domain.get("DefaultUserSettings") or {}
    return list((settings.get(APP_SETTINGS_OF[app_type]) or {}).get("CustomImages") or [])


def offered(domain: dict) -> dict[str, int | None]:
    """Every custom image the domain offers, any app: ImageName → version (None: latest)."""
    return {entry["ImageName"]: entry.get("ImageVersionNumber")
            for app_type in APP_SETTINGS_OF for entry in custom_images(domain, app_type)}


def attach(sm, domain_id: str, ours: dict[str, dict], owned: set[str],
           lifecycles: "Lifecycles | None" = None) -> bool:
    """Makes the domain list exactly `ours` among the names in `owned`; others stay as they are.

    `ours` maps ImageName to its entry: AppType, AppImageConfigName, ImageVersionNumber. Each
    image goes in its app's list, and leaves the others. `lifecycles`, when given, is made true
    in the same UpdateDomain (AWS refuses a second one while it applies the first). Returns
    whether the domain was written.

    The domain is read again after each write: a run elsewhere that wrote between our read and
    our write (one that holds no domain lock) dropped our entries, and they are merged in again
    over what it wrote."""
    def changes_of(domain: dict) -> dict:
        changed = _changes(domain, ours, owned)
        if lifecycles is not None:
            for member, change in lifecycle_changes(domain, lifecycles.offers,
                                                    lifecycles.owned).items():
                changed[member] = {**changed.get(member, {}), **change}
        return changed
    return _write(sm, domain_id, changes_of)


@dataclass(frozen=True)
class LifecycleOffer:
    arns: tuple[str, ...]           # this stack's configs for the app type
    default: str | None = None      # the one it runs at every start, when this stack sets one


@dataclass(frozen=True)
class Lifecycles:
    """What the domain is to offer of this stack's lifecycle configs, per app type, among the
    ARNs this stack owns (all of them: those no longer wanted leave the domain)."""
    offers: dict[str, LifecycleOffer]
    owned: set[str]


def lifecycle_changes(domain: dict, offers: dict[str, LifecycleOffer], owned: set[str]) -> dict:
    """The DefaultUserSettings members to write, each whole: its LifecycleConfigArns and its
    DefaultResourceSpec (the other members of the spec, an instance type or image, kept)."""
    settings = domain.get("DefaultUserSettings") or {}
    changed = {}
    for app_type in LIFECYCLE_APP_TYPES:
        member = f"{app_type}AppSettings"
        current = settings.get(member) or {}
        offer = offers.get(app_type, LifecycleOffer(()))
        arns = list(current.get("LifecycleConfigArns") or [])
        wanted = [a for a in arns if a not in owned] + sorted(offer.arns)
        spec = dict(current.get("DefaultResourceSpec") or {})
        default = spec.get("LifecycleConfigArn")
        if offer.default:
            if default and default not in owned and default != offer.default:
                raise UserError(f"domain {domain.get('DomainId', '')}: {member}'s default "
                                f"lifecycle config is {default}, not this stack's; set "
                                "`default: false` in the script's .yaml, or remove that default "
                                "from the domain first")
            spec["LifecycleConfigArn"] = offer.default
        elif default in owned:
            spec.pop("LifecycleConfigArn")
        change = {}
        if sorted(wanted) != sorted(arns):
            change["LifecycleConfigArns"] = wanted
        if spec != (current.get("DefaultResourceSpec") or {}):
            change["DefaultResourceSpec"] = spec
        if change:
            changed[member] = change
    return changed


def _write(sm, domain_id: str, changes_of) -> bool:
    written, busy, changed = False, False, {}
    for round_ in range(WRITE_ROUNDS):
        changed = changes_of(describe(sm, domain_id))
        if not changed:
            return written
        if round_:
            # Someone else is writing too, or AWS still applies a write. Not wait_until: each
            # round writes again, and WRITE_ROUNDS (not a deadline) bounds them.
            time.sleep(round_)
        busy = not _update(sm, domain_id, changed)
        written = written or not busy
    if busy:
        raise UserError(f"domain {domain_id}: still busy applying an earlier update after "
                        f"{WRITE_ROUNDS} tries (UpdateDomain answered ResourceInUse); run again "
                        "when its status is InService")
    # Told apart from outside they are not: both read back as if the write never happened.
    raise UserError(f"domain {domain_id}: its settings changed under this run {WRITE_ROUNDS} "
                    "times: other runs writing it (run again, or set "
                    "deploy.backend.dynamodb_table so that runs take turns), or AWS keeping "
                    f"part of what was there (still to write: {', '.join(sorted(changed))})")


def _changes(domain: dict, ours: dict[str, dict], owned: set[str]) -> dict:
    changed = {}
    for app_type, setting in APP_SETTINGS_OF.items():
        current = custom_images(domain, app_type)
        others = [entry for entry in current if entry["ImageName"] not in owned]
        wanted = others + [{"ImageName": name, **{k: v for k, v in entry.items() if k != "AppType"}}
                           for name, entry in sorted(ours.items())
                           if entry.get("AppType", KERNEL_GATEWAY) == app_type]
        if _canonical(wanted) != _canonical(current):
            changed[setting] = {"CustomImages": wanted}
    return changed


def _update(sm, domain_id: str, changed: dict) -> bool:
    """Whether the domain took the update: AWS refuses one while the previous is still applied
    (ResourceInUse); the caller reads the domain again and retries."""
    try:
        sm.update_domain(DomainId=domain_id, DefaultUserSettings=changed)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUse":
            raise
        return False


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
        role = iam.create_role(RoleName=LOCAL_EXECUTION_ROLE,
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        role = iam.get_role(RoleName=LOCAL_EXECUTION_ROLE)["Role"]["Arn"]
    arn = sm.create_domain(DomainName=LOCAL_DOMAIN, AuthMode="IAM",
                           DefaultUserSettings={"ExecutionRole": role},
                           SubnetIds=[subnet], VpcId=vpc)["DomainArn"]
    return arn.rsplit("/", 1)[-1]
