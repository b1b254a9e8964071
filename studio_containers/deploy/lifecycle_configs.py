"""The stack's Studio lifecycle configs (lifecycle/), made and attached by the deploy itself.

hashicorp/aws 3.39.0, the only provider this project can install offline, has no
`aws_sagemaker_studio_lifecycle_config` (5.x has), so, as for space images' AppImageConfigs
(space_configs.py), the deploy makes each config with the API call Terraform would make, tagged
as this stack's; what is this stack's is told by that tag alone. AWS cannot change a config's
script, so a config's name ends with its script's digest (lifecycle_spec.py): a changed script
is a new config, attached in the old one's place, and the old one is deleted once no setting
names it.

`up` checks everything first (names taken by others, a domain default that is another team's),
then creates the configs, writes the domain's DefaultUserSettings (other teams' ARNs kept), and
deletes this stack's configs no longer wanted. `down` detaches and deletes them all. AWS keeps a
config that a user profile lists or a running app runs; that one is named and left for the next
`up` or `down`.
"""
import re
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from ..console import say, warn
from ..errors import UserError
from ..lifecycle_spec import DIGEST_CHARS, LifecycleSpec
from .contract import TAG
from .domain import LifecycleOffer, Lifecycles

SCRIPT_TAG = "studio-containers:lifecycle"      # the lifecycle/ script a config was made from
DEPLOYED_NAME = re.compile(f"-[0-9a-f]{{{DIGEST_CHARS}}}$")     # lifecycle_spec.deployed_name
PAGE = 100


@dataclass(frozen=True)
class Wanted:
    script: LifecycleSpec
    app_type: str
    name: str                   # the deployed name: config name and script digest

    @property
    def default(self) -> bool:
        return self.script.default


@dataclass(frozen=True)
class Existing:
    name: str
    arn: str
    app_type: str
    script: str                 # the SCRIPT_TAG's value


@dataclass
class LifecyclePlan:
    wanted: list[Wanted]
    ours: dict[str, Existing]       # this stack's configs in AWS, by name
    taken: dict[str, str | None] = field(default_factory=dict)     # wanted name → whose stack

    def stale(self) -> list[Existing]:
        names = {w.name for w in self.wanted}
        return [e for n, e in sorted(self.ours.items()) if n not in names]


def owned_by(sm, stack: str) -> list[Existing]:
    """Every lifecycle config tagged as this stack's."""
    return list(plan(sm, [], stack).ours.values())


def wanted_configs(scripts: list[LifecycleSpec], stack: str) -> list[Wanted]:
    return [Wanted(s, t, s.deployed_name(t, stack)) for s in scripts for t in s.app_types]


def plan(sm, scripts: list[LifecycleSpec], stack: str, refuse: bool = True) -> LifecyclePlan:
    """Reads what AWS holds; refuses (unless `refuse` is False, for `status`), before any
    write, a wanted name someone else has."""
    wanted = wanted_configs(scripts, stack)
    configs = {c["StudioLifecycleConfigName"]: c for c in list_all(sm)}
    ours, whose = {}, {}
    for name, config in configs.items():
        if not DEPLOYED_NAME.search(name):
            continue        # not a name this tool gives
        tags = _tags(sm, config["StudioLifecycleConfigArn"])
        whose[name] = tags.get(TAG)
        if tags.get(TAG) == stack:
            ours[name] = Existing(name, config["StudioLifecycleConfigArn"],
                                  config["StudioLifecycleConfigAppType"], tags.get(SCRIPT_TAG, ""))
    taken = {w.name: whose.get(w.name) for w in wanted if w.name in configs and w.name not in ours}
    for w in wanted if refuse else []:
        if w.name in taken:
            raise refusal(w, stack, taken[w.name])
        if w.name in ours and ours[w.name].app_type != w.app_type:
            raise UserError(f"{w.script.script}: the lifecycle config {w.name} exists for "
                            f"{ours[w.name].app_type} apps, not {w.app_type}; rename the script")
    return LifecyclePlan(wanted, ours, taken)


def refusal(w: Wanted, stack: str, whose: str | None) -> UserError:
    return UserError(f"{w.script.script}: the lifecycle config {w.name} already exists and is "
                     "not this stack's (" + (f"stack {whose}'s" if whose else
                                            "made outside this tool")
                     + f"; this stack is {stack}); rename the script")


def create(sm, lifecycle: LifecyclePlan, stack: str) -> bool:
    """Makes the wanted configs that do not exist yet; returns whether it made any."""
    made = False
    for w in lifecycle.wanted:
        if w.name in lifecycle.ours:
            continue
        say(f"Lifecycle: creating the {w.app_type} lifecycle config {w.name} "
            f"from {w.script.script}")
        try:
            arn = sm.create_studio_lifecycle_config(
                StudioLifecycleConfigName=w.name, StudioLifecycleConfigContent=w.script.content,
                StudioLifecycleConfigAppType=w.app_type,
                Tags=[{"Key": TAG, "Value": stack}, {"Key": SCRIPT_TAG, "Value": w.script.name}]
            )["StudioLifecycleConfigArn"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUse":
                raise
            # Made since the plan read the account: by a run of this stack (the same script),
            # kept; by anyone else, refused.
            arn = sm.describe_studio_lifecycle_config(
                StudioLifecycleConfigName=w.name)["StudioLifecycleConfigArn"]
            whose = _tags(sm, arn).get(TAG)
            if whose != stack:
                raise refusal(w, stack, whose) from None
        lifecycle.ours[w.name] = Existing(w.name, arn, w.app_type, w.script.name)
        made = True
    return made


def attachment(lifecycle: LifecyclePlan) -> Lifecycles:
    """What the domain is to say of this stack's configs: the wanted ones, none of the others."""
    return Lifecycles(offers(lifecycle), {e.arn for e in lifecycle.ours.values()})


def offers(lifecycle: LifecyclePlan) -> dict[str, LifecycleOffer]:
    """What the domain is to offer of this stack's, per app type."""
    result = {}
    for app_type in sorted({w.app_type for w in lifecycle.wanted}):
        mine = [w for w in lifecycle.wanted if w.app_type == app_type]
        defaults = [lifecycle.ours[w.name].arn for w in mine if w.default]   # one: check_defaults
        result[app_type] = LifecycleOffer(tuple(lifecycle.ours[w.name].arn for w in mine),
                                          defaults[0] if defaults else None)
    return result


def check_defaults(scripts: list[LifecycleSpec]) -> None:
    """One default per app type, told before anything is read or written."""
    for app_type in sorted({t for s in scripts for t in s.app_types}):
        defaults = [s.name for s in scripts if s.default and app_type in s.app_types]
        if len(defaults) > 1:
            raise UserError(f"lifecycle scripts {', '.join(defaults)} all say `default: true` "
                            f"for {app_type} apps; a domain runs one by default: keep it on one")


def delete(sm, configs: list[Existing]) -> list[str]:
    """Deletes these configs of this stack's; returns the names AWS kept (in use), said why.
    (Whether any went: fewer kept than given.)"""
    kept = []
    for config in configs:
        try:
            sm.delete_studio_lifecycle_config(StudioLifecycleConfigName=config.name)
            say(f"Lifecycle: deleted the lifecycle config {config.name}")
        except ClientError as exc:
            error = exc.response["Error"]
            if error["Code"] in ("ResourceNotFound", "ResourceNotFoundException"):
                continue
            if error["Code"] != "ResourceInUse":
                raise
            warn(f"lifecycle config {config.name} kept: {error['Message']} (the next `up` or "
                 "`down` deletes it once nothing uses it)")
            kept.append(config.name)
    return kept


def list_all(sm) -> list[dict]:
    configs, token = [], None
    while True:
        page = sm.list_studio_lifecycle_configs(MaxResults=PAGE,
                                                **({"NextToken": token} if token else {}))
        configs += page.get("StudioLifecycleConfigs", [])
        token = page.get("NextToken")
        if not token:
            return configs


def _tags(sm, arn: str) -> dict[str, str]:
    """A config's tags; none for one this run may not read (another team's, by its policy)."""
    tags, token = {}, None
    try:
        while True:
            page = sm.list_tags(ResourceArn=arn, **({"NextToken": token} if token else {}))
            tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
            token = page.get("NextToken")
            if not token:
                return tags
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"):
            return {}
        raise
