"""One target opened for a change: its lock, Terraform folder, runner, record and domain."""
import contextlib
import fcntl
from typing import Iterator

from ..console import say
from ..errors import UserError
from ..localaws.control import LocalAws, kept_running
from ..settings import Settings
from ..studio import KERNEL_GATEWAY
from . import adopted, plan_memory
from . import domain as domains
from .contract import stack_inputs, with_input_defaults
from .record import DeployRecord
from .runner import TerraformRunner
from .stack import StackFolder
from .targets import Target, open_target
from .team_lock import domain_lock, stack_lock


@contextlib.contextmanager
def deployment(settings: Settings, target_name: str,
               target: Target | None = None) -> Iterator["Deployment"]:
    """The target (opened here unless given) held for this run alone, its Terraform folder ready."""
    target = target or open_target(settings, target_name)
    with _lock(settings, target.name), _shared_lock(settings, target), _watched(settings, target):
        yield Deployment(settings, target)


def _watched(settings: Settings, target: Target):
    return kept_running(LocalAws(settings)) if target.name == "local" else contextlib.nullcontext()


def _shared_lock(settings: Settings, target: Target):
    """With a shared backend, the same for runs on other machines (team_lock.py)."""
    backend = target.backend_config
    return stack_lock(*_lock_table(target), f"{backend.get('bucket')}/{backend.get('key')}",
                      settings.deploy_stack, settings.deploy_lock_timeout)


def _lock_table(target: Target) -> tuple[object, str]:
    """The DynamoDB client and table the team's locks are items of (none without a table)."""
    table = str(target.backend_config.get("dynamodb_table") or "")
    return (target.client("dynamodb") if table else None), table


@contextlib.contextmanager
def _lock(settings: Settings, target: str):
    # Two runs on one target would race on its Terraform state and record.
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
                                      settings.deploy_parallelism, settings.deploy_lock_timeout,
                                      local_state=not target.backend_config)
        if self.folder.needs_init(target.backend_config):
            say(f"Terraform init ({target.name} target, {self.folder.stack})")
            self.runner.init(target.backend_config)
            self.folder.mark_initialised(target.backend_config)
        self.sm = target.client("sagemaker")

    def write_inputs(self, repositories: set[str], images: dict[str, dict]) -> None:
        self.folder.write_inputs(stack_inputs(
            region=self.target.region, local_endpoint=self.target.local_endpoint,
            stack=self.settings.deploy_stack, repository_prefix=self.settings.repository_prefix,
            keep_last_images=self.settings.deploy_keep_last_images,
            repositories=repositories, images=images))

    def plan_fingerprint(self) -> str | None:
        """What the outcome of a plan depends on now (plan_memory.py); None with a shared state,
        which is always planned."""
        if not self.runner.local_state:
            return None
        return plan_memory.fingerprint(self.folder.fingerprint(self.target.backend_config),
                                       self.folder.inputs_text(), self.runner.raw_state(),
                                       self.target.client, self.settings.repository_prefix)

    def previous_inputs(self) -> dict[str, dict]:
        # Records written before space images knew no app_type: theirs were KernelGateway images.
        return {name: with_input_defaults({"app_type": KERNEL_GATEWAY, **entry["inputs"]})
                for name, entry in self.record.images.items() if "inputs" in entry}

    def domain_entries(self) -> dict[str, dict]:
        entries = {}
        for name, entry in self.record.images.items():
            wanted = {"AppType": entry.get("app_type", KERNEL_GATEWAY),
                      "AppImageConfigName": adopted.config_name(self.record.images, name)}
            version = entry.get("pinned") or entry["version"]
            # An image adopted from a domain that offered its latest version keeps being offered
            # so, unless a rollback pins one (an entry without a number means the latest).
            if entry.get("pinned") or not entry.get("adopted", {}).get("offers_latest"):
                wanted["ImageVersionNumber"] = version
            entries[name] = wanted
        return entries

    def attach_domain(self, domain_id: str, entries: dict[str, dict] | None = None,
                      owned: set[str] | None = None,
                      lifecycles: domains.Lifecycles | None = None) -> bool:
        """Makes the domain offer `entries` (default: what the record says) among `owned`
        (default: the record's images), and `lifecycles` if given, in one write, holding the
        domain's lock when the backend has a lock table; returns whether it was written."""
        entries = self.domain_entries() if entries is None else entries
        owned = set(self.record.images) if owned is None else owned
        with domain_lock(*_lock_table(self.target), domain_id, self.settings.deploy_stack,
                         self.settings.deploy_lock_timeout):
            return domains.attach(self.sm, domain_id, entries, owned, lifecycles)

    def domain_id(self) -> str:
        if self.settings.deploy_domain_id:
            return self.settings.deploy_domain_id
        if self.target.name == "local":
            return domains.ensure_local_domain(self.target.client)
        raise UserError("deploy.domain_id: required for --target aws")
