"""`status`: per image, local hash, pushed digest, deployed version and what the domain offers."""
from botocore.exceptions import ClientError

from ..build.dockerbuild import image_exists
from ..build.images import content_hash, repository
from ..console import say, table
from ..errors import UserError
from ..lifecycle_spec import LifecycleSpec, load_lifecycles
from ..pipeline import prepare
from ..settings import Settings
from ..spec import load_specs
from . import adopted, lifecycle_configs
from . import domain as domains
from .contract import repository_name
from .push import existing_digest
from .record import DeployRecord
from .targets import check_inputs, open_target


def status(settings: Settings, target_name: str) -> None:
    check_inputs(settings, target_name)
    specs = {s.name: s for s in load_specs(settings.images_dir, None)}
    scripts = load_lifecycles(settings.lifecycle_dir)
    ws = prepare(settings, []).workspace
    target = open_target(settings, target_name)
    record = DeployRecord(settings.state_dir, target.name)
    ecr, sm = target.client("ecr"), target.client("sagemaker")
    domain_id = record.data.get("domain_id")
    offered, domain = {}, {}
    if domain_id:
        try:
            domain = sm.describe_domain(DomainId=domain_id)
            offered = domains.offered(domain)
        except ClientError:
            domain_id = None
    rows = []
    for name in sorted(set(specs) | set(record.images)):
        deployed = record.images.get(name, {})
        local_hash, pushed = "-", "-"
        if name in specs:
            local_hash = content_hash(specs[name], ws.base, ws.client)
            built = image_exists(ws.client, f"{repository(specs[name])}:{local_hash}")
            kept = adopted.of(record.images, name)
            if kept and adopted.fingerprint(specs[name].folder) == kept["fingerprint"]:
                pushed = kept["digest"]          # the adopted version's image, unchanged
            else:
                repo = (kept or {}).get("repository") or repository_name(
                    settings.repository_prefix, name)
                pushed = existing_digest_or_none(ecr, repo, local_hash) or "-"
            if not built:
                local_hash += " (not built)"
        version = deployed.get("version", "-")
        in_domain = "-" if name not in offered else offered[name] or "latest"
        state = _state(name in specs, pushed, deployed, in_domain)
        if adopted.of(record.images, name):
            made_by_hand = ", ".join(map(str, adopted.of(record.images, name)["versions"]))
            state += f" (adopted; made by hand: version {made_by_hand})"
        rows.append([name, local_hash, _short(pushed), version, in_domain, state])
    say(f"Target {target.name}" + (f", domain {domain_id}" if domain_id else ""))
    table(["image", "local hash", "pushed digest", "deployed version", "domain offers",
           "state"], rows)
    lifecycle_rows = _lifecycles(sm, scripts, settings.deploy_stack, domain)
    if lifecycle_rows:
        table(["lifecycle script", "app type", "lifecycle config", "runs", "state"],
              lifecycle_rows)


def _lifecycles(sm, scripts: list[LifecycleSpec], stack: str, domain: dict) -> list[list[str]]:
    """lifecycle/'s scripts and this stack's configs in AWS: what is deployed and attached."""
    deployed = lifecycle_configs.plan(sm, scripts, stack, refuse=False)
    settings = domain.get("DefaultUserSettings") or {}
    rows = []
    for w in deployed.wanted:
        member = settings.get(f"{w.app_type}AppSettings") or {}
        runs = "at every start" if w.default else "when chosen"
        existing = deployed.ours.get(w.name)
        default = (member.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")
        if w.name in deployed.taken:
            state = (f"name taken by stack {deployed.taken[w.name]}" if deployed.taken[w.name]
                     else "name taken outside this tool") + ": rename the script"
        elif existing is None:
            older = any(e.script == w.script.name and e.app_type == w.app_type
                        for e in deployed.ours.values())
            state = "changed: run up" if older else "not deployed"
        elif existing.arn not in (member.get("LifecycleConfigArns") or []) or (
                w.default != (default == existing.arn)):
            state = "not in domain: run up"
        else:
            state = "up to date"
        rows.append([w.script.name, w.app_type, w.name, runs, state])
    for e in deployed.stale():
        rows.append([e.script or "-", e.app_type, e.name, "-",
                     "script changed or removed: up deletes it"])
    return rows


def existing_digest_or_none(ecr, repository: str, tag: str) -> str | None:
    try:
        return existing_digest(ecr, repository, tag)
    except UserError:
        return None


def _short(digest: str) -> str:
    return digest if digest == "-" else digest[:19] + "…"


def _state(in_specs: bool, pushed: str, deployed: dict, in_domain) -> str:
    if not deployed:
        return "not deployed"
    if not in_specs:
        return "deployed, folder removed (down removes it)"
    if pushed == "-" or pushed != deployed.get("digest"):
        return "changed: run up"
    if in_domain not in (deployed.get("version"), "latest"):
        return f"rolled back to {in_domain}" if in_domain != "-" else "not in domain: run up"
    return "up to date"
