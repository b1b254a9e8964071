"""`up`: build and validate, claim the names, push, apply the stack, record, attach the domain."""
from ..build.engine import ensure_engine
from ..console import say, table, warn
from ..lifecycle_spec import LifecycleSpec, load_lifecycles
from ..pipeline import Checks, Prepared, prepare
from ..settings import Settings
from ..spec import ImageSpec, load_specs
from . import adopted, lifecycle_configs, ownership, space_configs
from . import domain as domains
from .contract import addresses, check_deployable, image_inputs, image_version
from .deployment import Deployment, deployment
from .ownership import Adoption
from .plan_memory import PlanMemory
from .push import PushedImage, PushRecord, push_images
from .record import DeployRecord
from .registry_cache import EcrCache
from .targets import check_inputs, open_target


def up(settings: Settings, target_name: str, image: str | None,
       skip_validation: bool = False, force_plan: bool = False) -> None:
    check_inputs(settings, target_name)
    specs = load_specs(settings.images_dir, image)
    check_deployable(specs)
    scripts = load_lifecycles(settings.lifecycle_dir)
    lifecycle_configs.check_defaults(scripts)
    # The target first: missing or refused credentials are told before a build that can be long.
    target = open_target(settings, target_name)
    cache = (EcrCache(target.client("ecr"), settings.repository_prefix)
             if settings.registry_cache else None)
    recorded = DeployRecord(settings.state_dir, target.name).images
    if adopted.names(recorded) & {s.name for s in specs}:
        adopted.pull_images(ensure_engine(settings.state_dir), target.client("ecr"), recorded,
                            {s.name: s.folder for s in specs})
    prepared = prepare(settings, specs, checks=Checks.SKIP if skip_validation else Checks.GATE,
                       cache=cache)
    _warn_unchecked(scripts, specs, skip_validation)
    with deployment(settings, target_name, target) as d:
        domain_id = _check_domain(d)
        lifecycles = _check_lifecycles(d, domain_id, scripts)
        state, adoption = _claim_names(d, specs)
        state = _ensure_repositories(d, specs, adoption, state)
        pushed = _push(d, prepared)
        inputs = _write_inputs(d, specs, pushed)
        _keep_old_versions_and_adopt(d, state, pushed, adoption)
        applied = _apply(d, inputs, force_plan)
        configured = _write_space_configs(d, specs)
        _record(d, pushed, inputs, domain_id)
        made = lifecycle_configs.create(d.sm, lifecycles, d.settings.deploy_stack)
        attached = _attach_domain(d, domain_id, lifecycles)
        d.record.set_pending(set())
        stale = lifecycles.stale()
        deleted = len(lifecycle_configs.delete(d.sm, stale)) < len(stale)
    changed = (any(b.rebuilt for b in prepared.built) or any(p.pushed for p in pushed)
               or applied or configured or attached or made or deleted)
    _summary(d, pushed, domain_id, changed)
    _lifecycle_summary(lifecycles)


def _check_domain(d: Deployment) -> str:
    domain_id = d.domain_id()
    domains.describe(d.sm, domain_id)     # a wrong domain stops the run before anything is made
    return domain_id


def _warn_unchecked(scripts: list[LifecycleSpec], specs: list[ImageSpec],
                    skip_validation: bool) -> None:
    """The validation runs a script in the images of its app type that this run deploys; the
    others are deployed unrun (a JupyterServer script always: Studio brings that app's image)."""
    checked = set() if skip_validation else {s.app_type for s in specs}
    for script in scripts:
        unchecked = [t for t in script.app_types if t not in checked]
        if unchecked:
            warn(f"lifecycle script {script.name} is deployed for {', '.join(unchecked)} apps "
                 "without having run in one (no image of that app type validated in this run)")


def _check_lifecycles(d: Deployment, domain_id: str,
                      scripts: list[LifecycleSpec]) -> lifecycle_configs.LifecyclePlan:
    """What of lifecycle/ AWS holds; a name or domain default someone else has stops the run
    here, before anything is written."""
    lifecycles = lifecycle_configs.plan(d.sm, scripts, d.settings.deploy_stack)
    domain = domains.describe(d.sm, domain_id)
    owned = {e.arn for e in lifecycles.ours.values()}
    for app_type in sorted({w.app_type for w in lifecycles.wanted if w.default}):
        # The ARN to be is not known yet: a stand-in that is ours.
        domains.lifecycle_changes(domain, {app_type: domains.LifecycleOffer((), "ours")},
                                  owned | {"ours"})
    return lifecycles


def _claim_names(d: Deployment, specs: list[ImageSpec]) -> tuple[dict, Adoption]:
    """The state, and what AWS holds of ours outside it; refuses names someone else has."""
    names = [s.name for s in specs]
    state = d.runner.state()
    adoption = ownership.check(d.target.client, state, names, d.settings.deploy_stack,
                               d.settings.repository_prefix, d.record.pending,
                               frozenset(s.name for s in specs if s.is_space),
                               frozenset(adopted.names(d.record.images)))
    # Recorded before anything is made, so that a rerun after an interruption adopts it.
    d.record.set_pending(d.record.pending | set(names))
    return state, adoption


def _repositories(d: Deployment, specs: list[ImageSpec]) -> set[str]:
    """The images whose ECR repository is this stack's: not those adopted with their own."""
    return (set(d.previous_inputs()) | {s.name for s in specs}) - adopted.names(d.record.images)


def _ensure_repositories(d: Deployment, specs: list[ImageSpec], adoption: Adoption,
                         state: dict) -> dict:
    """The pushes need their repositories; returns the state as it is then."""
    # Only the images deployed before are inputs: the others have no pushed digest yet.
    d.write_inputs(_repositories(d, specs), d.previous_inputs())
    for address, resource_id in adoption.repositories:
        d.runner.import_resource(address, resource_id)
    if adoption.repositories:
        state = d.runner.state()
    if any(addresses(name)["repository"] not in state for name in _repositories(d, specs)):
        say("Terraform: creating the ECR repositories")
        d.runner.apply()
        state = d.runner.state()
    return state


def _push(d: Deployment, prepared: Prepared) -> list[PushedImage]:
    # An adopted image built from the folder the import wrote is its current version's image.
    kept = {b.spec.name: adopted.unchanged(d.record.images, b) for b in prepared.built}
    to_push = [b for b in prepared.built if kept[b.spec.name] is None]
    for name in sorted(name for name, p in kept.items() if p is not None):
        say(f"{name}: still the image its adopted version runs ({kept[name].image_uri}); "
            "not pushed")
    pushed = push_images(prepared.workspace.client, d.target.client("ecr"), to_push,
                         d.settings.repository_prefix, PushRecord(d.settings.state_dir),
                         d.target.name, adopted=adopted.repositories(d.record.images)
                         ) if to_push else []
    by_name = {p.name: p for p in pushed}
    return [kept[b.spec.name] or by_name[b.spec.name] for b in prepared.built]


def _write_inputs(d: Deployment, specs: list[ImageSpec],
                  pushed: list[PushedImage]) -> dict[str, dict]:
    """The pushed images with their digests; every other image as it was deployed."""
    spec_of = {s.name: s for s in specs}
    inputs = {**d.previous_inputs(),
              **{p.name: adopted.inputs(d.record.images, p.name,
                                        image_inputs(spec_of[p.name], p.image_uri))
                 for p in pushed}}
    d.write_inputs(_repositories(d, specs), inputs)
    return inputs


def _keep_old_versions_and_adopt(d: Deployment, state: dict, pushed: list[PushedImage],
                                 adoption: Adoption) -> None:
    imports = list(adoption.images)
    for p in pushed:
        _keep_old_version(d, state, p)
        imports += ownership.adopt_version(d.target.client, state, p.name, p.image_uri)
    for address, resource_id in imports:
        d.runner.import_resource(address, resource_id)


def _keep_old_version(d: Deployment, state: dict, p: PushedImage) -> None:
    version = addresses(p.name)["version"]
    if version in state and state[version].get("base_image") != p.image_uri:
        # Replacing would delete the old version; forgetting it keeps it for rollback.
        say(f"{p.name}: new digest; version {state[version].get('version')} stays "
            "available for rollback")
        d.runner.state_rm(version)
        state.pop(version)


def _apply(d: Deployment, inputs: dict[str, dict], force_plan: bool) -> bool:
    memory = PlanMemory(d.folder.stack)
    if not force_plan and memory.matches(d.plan_fingerprint()):
        say("Terraform: no changes (nothing it manages changed since its last plan; "
            "`up --plan` plans anyway)")
        return False
    memory.forget()         # an apply that fails half-way leaves nothing to trust
    say(f"Terraform: applying the stack ({len(inputs)} image(s), target {d.target.name})")
    applied = d.runner.apply()
    if not applied:
        say("Terraform: no changes")
    after = d.plan_fingerprint()
    if after:
        memory.remember(after)
    return applied


def _write_space_configs(d: Deployment, specs: list[ImageSpec]) -> bool:
    """Space images' AppImageConfigs, which provider 3.39 cannot write (space_configs.py)."""
    written = [space_configs.ensure(d.sm, s, d.settings.deploy_stack,
                                    adopted.config_name(d.record.images, s.name))
               for s in specs if s.is_space]
    return any(written)


def _record(d: Deployment, pushed: list[PushedImage], inputs: dict[str, dict],
            domain_id: str) -> None:
    outputs = d.runner.outputs()
    for p in pushed:
        entry = d.record.images.setdefault(p.name, {})
        version = image_version(outputs, p.name)
        entry.update(inputs=inputs[p.name], digest=p.digest, image_uri=p.image_uri,
                     version=version, app_type=inputs[p.name]["app_type"],
                     pinned=adopted.pinned_while_unchanged(d.record.images, p))
        entry.setdefault("versions", {})[p.digest] = version
    d.record.data["domain_id"] = domain_id
    d.record.save()


def _attach_domain(d: Deployment, domain_id: str,
                   lifecycles: lifecycle_configs.LifecyclePlan) -> bool:
    """The images and the lifecycle configs, in one UpdateDomain."""
    attached = d.attach_domain(domain_id, lifecycles=lifecycle_configs.attachment(lifecycles))
    if attached:
        say(f"Domain {domain_id}: custom images and lifecycle configs updated (other teams' "
            "kept)")
    return attached


def _lifecycle_summary(lifecycles: lifecycle_configs.LifecyclePlan) -> None:
    if lifecycles.wanted:
        table(["lifecycle script", "app type", "lifecycle config", "runs"],
              [[w.script.name, w.app_type, w.name, "at every start" if w.default else "when chosen"]
               for w in lifecycles.wanted])


def _summary(d: Deployment, pushed: list[PushedImage], domain_id: str, changed: bool) -> None:
    say("Deployed:" if changed
        else "Nothing changed: no build, no push, no Terraform change, domain as it was")
    table(["image", "version", "digest", "app image config", "domain"],
          [[p.name, d.record.images[p.name]["version"], p.digest[:19] + "…",
            adopted.config_name(d.record.images, p.name), domain_id]
           for p in pushed])
