"""Skipping Terraform's plan when nothing it manages can have changed since the last one.

A plan is remembered by a fingerprint of everything its outcome depends on: the configuration
(the stack folder's .tf files and provider lock, as for `init`), its inputs
(terraform.tfvars.json), the state (serial and lineage) and what AWS says of every resource in
that state (the describe calls' answers: last-modified times, settings, tags, policies; a deleted
resource answers nothing). An `up` whose fingerprint matches the last plan's, which found no
changes or was applied, needs no plan: Terraform would find nothing to do. Anything else plans.

Only for a state kept in the stack folder: a shared backend's state can be changed by a
teammate's run at any time, so it is always planned.
"""
import hashlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError

from .contract import RESOURCES, ROLE_POLICY, repository_name, role_name

MEMORY = ".studio-containers-last-plan"
_MISSING = "missing"
# Parts of an answer that move without anyone changing the resource (and that Terraform does not
# manage): when a lifecycle policy last ran, when a role was last used.
VOLATILE = frozenset({"ResponseMetadata", "lastEvaluatedAt", "RoleLastUsed"})


def fingerprint(config: str, tfvars: str, state: dict, client, prefix: str) -> str:
    """`config`: the stack folder's fingerprint; `state`: the raw local state (JSON)."""
    digest = hashlib.sha256()
    for part in (config, tfvars, str(state.get("serial")), str(state.get("lineage")),
                 json.dumps(remote_view(state, client, prefix), sort_keys=True, default=str)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def remote_view(state: dict, client, prefix: str) -> dict[str, object]:
    """Address → what AWS answers for that resource of the state (or "missing")."""
    calls = {}
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        module = resource.get("module", "")
        name = module.split('"')[1] if '"' in module else ""
        kind = next((k for k, (_, address) in RESOURCES.items()
                     if address.startswith(f"{resource['type']}.{resource['name']}")), None)
        for instance in resource.get("instances", []):
            address = f"{module}.{resource['type']}.{resource['name']}[{instance.get('index_key')}]"
            calls[address] = _describe(kind, name, instance.get("attributes", {}), client, prefix)
    # Each answer is one call to AWS; together they take the time of the slowest.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(zip(calls, pool.map(lambda call: call() if call else _MISSING,
                                           calls.values())))
    return answers


def _describe(kind: str | None, name: str, attributes: dict, client, prefix: str):
    """The call that shows a resource of `kind` as AWS has it now; for a kind we do not know, an
    answer that never repeats: its stack is always planned."""
    repository = repository_name(prefix, name)
    calls = {
        "repository": lambda: (client("ecr").describe_repositories(repositoryNames=[repository]),
                               client("ecr").list_tags_for_resource(
                                   resourceArn=attributes.get("arn", ""))),
        "lifecycle": lambda: client("ecr").get_lifecycle_policy(repositoryName=repository),
        "role": lambda: client("iam").get_role(RoleName=role_name(name)),
        "role_policy": lambda: client("iam").get_role_policy(RoleName=role_name(name),
                                                             PolicyName=ROLE_POLICY),
        "image": lambda: (client("sagemaker").describe_image(ImageName=name),
                          client("sagemaker").list_tags(ResourceArn=attributes.get("arn", ""))),
        "version": lambda: client("sagemaker").describe_image_version(
            ImageName=name, Version=attributes.get("version")),
        # An adopted image's config may have a name of its own.
        "config": lambda: client("sagemaker").describe_app_image_config(
            AppImageConfigName=attributes.get("app_image_config_name") or name),
    }
    call = calls.get(kind)
    if call is None:
        return lambda: {"unknown": str(uuid.uuid4())}

    def answer():
        try:
            return _without_metadata(call())
        except ClientError as exc:
            return {_MISSING: exc.response.get("Error", {}).get("Code")}
    return answer


def _without_metadata(answer):
    if isinstance(answer, (tuple, list)):
        return [_without_metadata(a) for a in answer]
    if isinstance(answer, dict):
        return {k: _without_metadata(v) for k, v in answer.items() if k not in VOLATILE}
    return answer


class PlanMemory:
    """The fingerprint of the last plan that left nothing to do, in the stack folder."""

    def __init__(self, stack: Path):
        self.path = stack / MEMORY

    def matches(self, fingerprint: str | None) -> bool:
        if fingerprint is None:
            return False
        try:
            return self.path.read_text() == fingerprint
        except OSError:
            return False

    def remember(self, fingerprint: str) -> None:
        self.path.write_text(fingerprint)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)
