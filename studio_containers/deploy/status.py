"""`status`: per image, local hash, pushed digest, deployed version and what the domain offers."""
from botocore.exceptions import ClientError

from ..build.dockerbuild import image_exists
from ..build.images import content_hash, repository
from ..console import say, table
from ..errors import UserError
from ..pipeline import prepare
from ..settings import Settings
from ..spec import load_specs
from . import adopted
from . import domain as domains
from .contract import repository_name
from .push import existing_digest
from .record import DeployRecord
from .targets import check_inputs, open_target


def status(settings: Settings, target_name: str) -> None:
    check_inputs(settings, target_name)
    specs = {s.name: s for s in load_specs(settings.images_dir, None)}
    ws = prepare(settings, []).workspace
    target = open_target(settings, target_name)
    record = DeployRecord(settings.state_dir, target.name)
    ecr, sm = target.client("ecr"), target.client("sagemaker")
    domain_id = record.data.get("domain_id")
    offered = {}
    if domain_id:
        try:
            offered = domains.offered(sm.describe_domain(DomainId=domain_id))
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
