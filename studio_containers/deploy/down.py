"""`down`: detach this stack's images from the domain and destroy what `up` made, nothing else."""
from botocore.exceptions import ClientError

from ..console import say, warn
from ..errors import UserError
from ..settings import Settings
from . import adopted, lifecycle_configs, space_configs
from . import domain as domains
from .contract import (
    IMAGE_MODULE,
    REPOSITORY_MODULE,
    addresses,
    names_in_state,
    repository_name,
)
from .deployment import Deployment, deployment
from .push import PushRecord
from .targets import check_inputs


def down(settings: Settings, target_name: str) -> None:
    check_inputs(settings, target_name)
    with deployment(settings, target_name) as d:
        state = d.runner.state()
        owned = set(d.record.images) | names_in_state(state, IMAGE_MODULE)
        repos = owned | names_in_state(state, REPOSITORY_MODULE)
        lifecycles = lifecycle_configs.owned_by(d.sm, d.settings.deploy_stack)
        _detach(d, owned, lifecycles)
        kept = lifecycle_configs.delete(d.sm, lifecycles)
        _remove_space_configs(d, owned)
        _empty_repositories(d.target.client("ecr"), settings.repository_prefix, repos, state)
        _leave_versions_to_their_image(d, owned, state)
        d.write_inputs(repos, d.previous_inputs())
        if state:
            say(f"Terraform: destroying the stack (target {d.target.name})")
            d.runner.destroy()
        else:
            say("Nothing deployed on this target")
        d.record.data.update(images={}, pending=[])
        d.record.save()
        PushRecord(settings.state_dir).forget(d.target.name)
    say(f"Removed everything this stack deployed on {d.target.name}"
        + (f", except the lifecycle configs {', '.join(kept)} (in use; see the warnings)"
           if kept else ""))


def _remove_space_configs(d: Deployment, owned: set[str]) -> None:
    # Only those tagged as this stack's: KernelGateway images' configs are Terraform's to destroy.
    for name in sorted(owned):
        if space_configs.remove(d.sm, adopted.config_name(d.record.images, name),
                                d.settings.deploy_stack):
            say(f"{name}: deleted its AppImageConfig")


def _detach(d: Deployment, owned: set[str], lifecycles: list) -> None:
    """This stack's images and lifecycle configs out of the domain, in one write. A domain that
    will not take it is warned about, and the rest of `down` goes on (the deletes that need it
    detached then say what is left)."""
    domain_id = d.record.data.get("domain_id") or (d.settings.deploy_domain_id
                                                   if lifecycles else None)
    if not (domain_id and (owned or lifecycles)):
        return
    try:
        if d.attach_domain(domain_id, {}, owned,
                           domains.Lifecycles({}, {e.arn for e in lifecycles})):
            say(f"Domain {domain_id}: removed this stack's "
                + (f"images ({', '.join(sorted(owned))})" if owned else "")
                + (" and " if owned and lifecycles else "")
                + ("lifecycle configs" if lifecycles else "") + " (others kept)")
    except domains.DomainMissing:
        pass  # the domain is gone already; nothing to detach
    except UserError as exc:
        warn(f"{exc}; going on with the rest of down")


def _empty_repositories(ecr, prefix: str, names: set[str], state: dict) -> None:
    # Provider 3.39 cannot force-delete a repository that still holds images.
    for name in sorted(names):
        if addresses(name)["repository"] not in state:
            continue
        repository = repository_name(prefix, name)
        try:
            ids = ecr.list_images(repositoryName=repository).get("imageIds", [])
        except ClientError:
            continue
        if ids:
            ecr.batch_delete_image(repositoryName=repository, imageIds=ids)


def _leave_versions_to_their_image(d: Deployment, owned: set[str], state: dict) -> None:
    # Provider 3.39 waits for a deleted version by describing the image's latest one, which is
    # an older version still there: it never finishes. DeleteImage removes every version, so
    # versions are left to it.
    for name in sorted(owned):
        version = addresses(name)["version"]
        if version in state:
            d.runner.state_rm(version)
