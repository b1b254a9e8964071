"""`up`, `down`, `status` and `rollback`: specs → build → push → Terraform → domain attachment."""
import contextlib
import fcntl

from botocore.exceptions import ClientError

from ..build.dockerbuild import image_exists
from ..build.images import content_hash, repository
from ..console import say, table
from ..errors import UserError
from ..pipeline import Checks, prepare
from ..settings import Settings
from ..spec import load_specs
from .push import PushRecord, existing_digest, push_images
from . import domain as domains
from . import ownership
from .record import DeployRecord
from .runner import TerraformRunner
from .stack import StackFolder, addresses, image_inputs
from .targets import Target, check_inputs, open_target


@contextlib.contextmanager
def _deploy_lock(settings: Settings, target: str):
    path = settings.state_dir / "deploy" / f"{target}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another up/down/rollback on target {target} is running "
                            f"(lock: {path})") from None
        yield


class Deployment:
    """One target's Terraform folder, runner and record, opened under the target's lock."""

    def __init__(self, settings: Settings, target: Target):
        self.settings = settings
        self.target = target
        self.record = DeployRecord(settings.state_dir, target.name)
        self.folder = StackFolder(settings.state_dir, target.name)
        self.folder.sync(target.backend_hcl)
        self.runner = TerraformRunner(self.folder.stack, target.toolchain, target.terraform_env,
                                      settings.deploy_parallelism)
        if self.folder.needs_init(target.backend_config):
            say(f"Terraform init ({target.name} target, {self.folder.stack})")
            self.runner.init(target.backend_config)
            self.folder.mark_initialised(target.backend_config)
        self.sm = target.client("sagemaker")

    def write_inputs(self, repositories: set[str], images: dict[str, dict]) -> None:
        self.folder.write_inputs({
            "region": self.target.region, "local_endpoint": self.target.local_endpoint,
            "stack": self.settings.deploy_stack,
            "repository_prefix": self.settings.repository_prefix,
            "keep_last_images": self.settings.deploy_keep_last_images,
            "repositories": sorted(repositories), "images": images,
        })

    def previous_inputs(self) -> dict[str, dict]:
        return {name: entry["inputs"] for name, entry in self.record.images.items()
                if "inputs" in entry}

    def domain_entries(self) -> dict[str, dict]:
        return {name: {"AppImageConfigName": name,
                       "ImageVersionNumber": entry.get("pinned") or entry["version"]}
                for name, entry in self.record.images.items()}

    def domain_id(self) -> str:
        if self.settings.deploy_domain_id:
            return self.settings.deploy_domain_id
        if self.target.name == "local":
            return domains.ensure_local_domain(self.target.client)
        raise UserError("deploy.domain_id: required for --target aws")


def up(settings: Settings, target_name: str, image: str | None,
       skip_validation: bool = False) -> None:
    check_inputs(settings, target_name)
    specs = load_specs(settings.images_dir, image)
    prepared = prepare(settings, specs, checks=Checks.SKIP if skip_validation else Checks.GATE)
    ws, built = prepared.workspace, prepared.built
    target = open_target(settings, target_name)
    with _deploy_lock(settings, target.name):
        d = Deployment(settings, target)
        domain_id = d.domain_id()
        domains.describe(d.sm, domain_id)
        names = [s.name for s in specs]
        state = d.runner.state()
        adoption = ownership.check(target.client, state, names, settings.deploy_stack,
                                   settings.repository_prefix, d.record.pending)
        d.record.set_pending(d.record.pending | set(names))

        previous = d.previous_inputs()
        repositories = set(previous) | set(names)
        d.write_inputs(repositories, previous)
        for address, resource_id in adoption.repositories:
            d.runner.import_resource(address, resource_id)
        if adoption.repositories:
            state = d.runner.state()
        if any(addresses(n)["repository"] not in state for n in names):
            say("Terraform: creating the ECR repositories")
            d.runner.apply()
            state = d.runner.state()

        pushed = push_images(ws.client, target.client("ecr"), built, settings.repository_prefix,
                             PushRecord(settings.state_dir / "pushes.json"), target.name)
        spec_of = {s.name: s for s in specs}
        inputs = {**previous, **{p.name: image_inputs(spec_of[p.name], p.image_uri)
                                 for p in pushed}}
        d.write_inputs(repositories, inputs)

        imports = list(adoption.images)
        for p in pushed:
            version = addresses(p.name)["version"]
            if version in state and state[version].get("base_image") != p.image_uri:
                # Replacing would delete the old version; forgetting it keeps it for rollback.
                say(f"{p.name}: new digest; version {state[version].get('version')} stays "
                    "available for rollback")
                d.runner.state_rm(version)
                state.pop(version)
            imports += ownership.adopt_version(target.client, state, p.name, p.image_uri)
        for address, resource_id in imports:
            d.runner.import_resource(address, resource_id)

        say(f"Terraform: applying the stack ({len(inputs)} image(s), target {target.name})")
        applied = d.runner.apply()
        if not applied:
            say("Terraform: no changes")
        outputs = d.runner.outputs().get("images", {})
        for p in pushed:
            entry = d.record.images.setdefault(p.name, {})
            version = outputs[p.name]["image_version"]
            entry.update(inputs=inputs[p.name], digest=p.digest, image_uri=p.image_uri,
                         version=version, pinned=None)
            entry.setdefault("versions", {})[p.digest] = version
        d.record.data["domain_id"] = domain_id
        d.record.save()
        attached = domains.attach(d.sm, domain_id, d.domain_entries(), set(d.record.images))
        if attached:
            say(f"Domain {domain_id}: CustomImages updated (other images kept)")
        d.record.set_pending(set())
        unchanged = not (any(b.rebuilt for b in built) or any(p.pushed for p in pushed)
                         or applied or attached)
        rows = [[p.name, d.record.images[p.name]["version"], p.digest[:19] + "…",
                 p.name, domain_id] for p in pushed]
    say("Nothing changed: no build, no push, no Terraform change, domain as it was"
        if unchanged else "Deployed:")
    table(["image", "version", "digest", "app image config", "domain"], rows)


def down(settings: Settings, target_name: str) -> None:
    check_inputs(settings, target_name)
    target = open_target(settings, target_name)
    with _deploy_lock(settings, target.name):
        d = Deployment(settings, target)
        state = d.runner.state()
        owned = set(d.record.images) | {
            a.split('"')[1] for a in state if a.startswith("module.image[")}
        repos = set(owned) | {a.split('"')[1] for a in state if a.startswith("module.repository[")}
        domain_id = d.record.data.get("domain_id")
        if domain_id and owned:
            try:
                if domains.attach(d.sm, domain_id, {}, owned):
                    say(f"Domain {domain_id}: removed {', '.join(sorted(owned))} (other images kept)")
            except UserError:
                pass  # the domain is gone already; nothing to detach
        _empty_repositories(target.client("ecr"), settings.repository_prefix, repos, state)
        for name in sorted(owned):
            # Provider 3.39 waits for a deleted version by describing the image's latest one,
            # which is an older version still there: it never finishes. DeleteImage removes
            # every version, so versions are left to it.
            if addresses(name)["version"] in state:
                d.runner.state_rm(addresses(name)["version"])
        d.write_inputs(repos, d.previous_inputs())
        if state:
            say(f"Terraform: destroying the stack (target {target.name})")
            d.runner.destroy()
        else:
            say("Nothing deployed on this target")
        d.record.data.update(images={}, pending=[])
        d.record.save()
        _forget_pushes(settings, target.name)
    say(f"Removed everything this stack deployed on {target.name}")


def _empty_repositories(ecr, prefix: str, names: set[str], state: dict) -> None:
    # Provider 3.39 cannot force-delete a repository that still holds images.
    for name in sorted(names):
        if addresses(name)["repository"] not in state:
            continue
        repository = f"{prefix}/{name}"
        try:
            ids = ecr.list_images(repositoryName=repository).get("imageIds", [])
        except ClientError:
            continue
        if ids:
            ecr.batch_delete_image(repositoryName=repository, imageIds=ids)


def _forget_pushes(settings: Settings, target: str) -> None:
    record = PushRecord(settings.state_dir / "pushes.json")
    data = record.read()
    if data.pop(target, None) is not None:
        record.write(data)


def rollback(settings: Settings, target_name: str, image: str, version: int) -> None:
    check_inputs(settings, target_name)
    target = open_target(settings, target_name)
    with _deploy_lock(settings, target.name):
        d = Deployment(settings, target)
        if image not in d.record.images:
            deployed = ", ".join(sorted(d.record.images)) or "none"
            raise UserError(f"--image {image}: not deployed by this stack on {target.name} "
                            f"(deployed: {deployed})")
        try:
            found = d.sm.describe_image_version(ImageName=image, Version=version)
        except ClientError:
            listed = d.sm.list_image_versions(ImageName=image, SortBy="VERSION",
                                              SortOrder="ASCENDING")["ImageVersions"]
            have = ", ".join(str(v["Version"]) for v in listed
                             if v["ImageVersionStatus"] == "CREATED")
            raise UserError(f"--version {version}: {image} has no such version; "
                            f"available: {have}") from None
        if found["ImageVersionStatus"] != "CREATED":
            raise UserError(f"--version {version}: {image} version {version} is "
                            f"{found['ImageVersionStatus']}, it cannot be used")
        entry = d.record.images[image]
        entry["pinned"] = None if version == entry["version"] else version
        d.record.save()
        domain_id = d.record.data["domain_id"]
        domains.attach(d.sm, domain_id, d.domain_entries(), set(d.record.images))
    say(f"Domain {domain_id} now offers {image} version {version} "
        f"({found['ContainerImage'] or found['BaseImage']})")


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
            offered = {e["ImageName"]: e.get("ImageVersionNumber")
                       for e in domains.custom_images(sm.describe_domain(DomainId=domain_id))}
        except ClientError:
            domain_id = None
    rows = []
    for name in sorted(set(specs) | set(record.images)):
        deployed = record.images.get(name, {})
        local_hash, pushed = "-", "-"
        if name in specs:
            local_hash = content_hash(specs[name], ws.base)
            built = image_exists(ws.client, f"{repository(specs[name])}:{local_hash}")
            pushed = existing_digest_or_none(ecr, f"{settings.repository_prefix}/{name}",
                                             local_hash) or "-"
            if not built:
                local_hash += " (not built)"
        version = deployed.get("version", "-")
        in_domain = offered.get(name, "-") if name in offered else "-"
        rows.append([name, local_hash, _short(pushed), version, in_domain,
                     _state(name in specs, pushed, deployed, in_domain)])
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
    if in_domain != deployed.get("version"):
        return f"rolled back to {in_domain}" if in_domain != "-" else "not in domain: run up"
    return "up to date"
