"""`invoke import`: adopt the custom images a domain already offers, made by hand.

Everything is read and checked first (the domain, each Image, its versions, its AppImageConfig,
the ECR image its current version runs); a refusal then writes nothing. Adopting one image:
1. Terraform imports its Image, its current ImageVersion and (KernelGateway) its AppImageConfig,
   with inputs carrying the live values (adopted.py), so that the next `up` plans no change.
   Older versions stay outside the state, as `up` keeps a replaced version: rollback targets.
2. `images/NAME/` is written: image.yaml from the live AppImageConfig, and a Dockerfile FROM the
   current version's image by digest, so that the first build is that image unchanged.
3. The Image (and a space's AppImageConfig) is tagged as this stack's.
4. The record gets the image as deployed, with what `up` must keep (adopted.py).
Nothing is created, replaced or deleted. A failure on the way undoes the imports and folders.
"""
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from ..app_image_config import spec_data_of
from ..build.engine import ensure_engine
from ..console import say, table, warn
from ..errors import UserError, shown
from ..image_folder import check_free, write_folder
from ..settings import Settings
from ..spec import SPEC_FILE, ImageSpec, Reader, spec_of
from ..spec_yaml import spec_text
from ..studio import (
    APP_IMAGE_CONFIG_KIND,
    APP_SETTINGS_OF,
    KERNEL_GATEWAY,
    NAME_RE,
    ImageVersionStatus,
)
from . import adopted
from . import domain as domains
from .contract import (
    IMAGE_MODULE,
    PROVIDER_KERNELS,
    TAG,
    addresses,
    image_inputs,
    names_in_state,
)
from .deployment import Deployment, deployment
from .ownership import refuse_unless_ours
from .targets import check_inputs, open_target

# <registry>/<repository>@sha256:<digest> or <registry>/<repository>:<tag>
IMAGE_REFERENCE = re.compile(r"(?P<registry>[^/]+)/(?P<repository>[^@:]+)"
                             r"(?:@(?P<digest>sha256:[0-9a-f]{64})|:(?P<tag>[\w][\w.-]{0,127}))")


@dataclass
class Found:
    """One image as AWS has it, read and checked before anything is written."""
    name: str
    app_type: str
    image: dict             # DescribeImage
    tags: list[dict]
    versions: list[dict]    # ListImageVersions, oldest first
    current: dict           # DescribeImageVersion of the latest
    config: dict            # DescribeAppImageConfig
    config_name: str
    data: dict              # image.yaml's fields
    repository: dict        # ECR DescribeRepositories
    digest: str
    offers_latest: bool     # the domain lists it without a version number
    offered_version: int | None

    @property
    def spec(self) -> ImageSpec:
        return spec_of(self.data, Path(self.name), Reader(SPEC_FILE))

    @property
    def from_image(self) -> str:
        return f"{self.repository['repositoryUri']}@{self.digest}"


def import_images(settings: Settings, target_name: str, images: list[str],
                  dry_run: bool) -> None:
    check_inputs(settings, target_name)
    for name in images:
        if not NAME_RE.fullmatch(name):
            raise UserError(f"--image {shown(name)}: not a SageMaker image name (1-63 letters, "
                            "digits or inner hyphens)")
        check_free(settings.images_dir, name)
    target = open_target(settings, target_name)
    with deployment(settings, target_name, target) as d:
        domain_id = _domain_id(d)
        domain = domains.describe(d.sm, domain_id)
        offered = {entry["ImageName"]: (app_type, entry) for app_type in APP_SETTINGS_OF
                   for entry in domains.custom_images(domain, app_type)}
        ours = set(d.record.images) | names_in_state(d.runner.state(), IMAGE_MODULE)
        chosen = _chosen(images, offered, ours, domain_id)
        if not chosen:
            say(f"Nothing to import: every custom image domain {domain_id} offers is this "
                "stack's already" if offered else
                f"Nothing to import: domain {domain_id} offers no custom image")
            return
        if not images:
            # A domain is often shared: adopting makes an image this stack's, and `down` would
            # delete it, so a real import adopts only the images named.
            _show_candidates(d, chosen, offered, domain_id)
            if dry_run:
                return
            raise UserError(f"--image: name the images to adopt (repeat it), for example "
                            f"--image {chosen[0]}; domain {domain_id} may hold other teams' "
                            "images, and `down` deletes what this stack adopted")
        found = [_read(d, name, *offered[name]) for name in chosen]
        _show(found, domain_id, dry_run)
        if dry_run:
            say("Dry run: nothing written, imported or tagged")
            return
        _adopt(d, found, domain_id)
        try:
            adopted.pull_images(ensure_engine(settings.state_dir), target.client("ecr"),
                                d.record.images,
                                {f.name: settings.images_dir / f.name for f in found})
        except UserError as exc:
            warn(f"{exc}; `./inv up` pulls it again")
    say(f"Imported {', '.join(f.name for f in found)}: `./inv up` now keeps them as they are "
        "(no change in AWS); a change to a folder makes a new version")


def _show_candidates(d: Deployment, names: list[str], offered: dict, domain_id: str) -> None:
    """Every image a domain offers that is not this stack's, and whether it can be adopted."""
    rows = []
    for name in names:
        app_type, _ = offered[name]
        try:
            found = _read(d, name, *offered[name])
            rows.append([name, app_type, ", ".join(str(v["Version"]) for v in found.versions),
                         "can be adopted"])
        except UserError as exc:
            rows.append([name, app_type, "-", f"cannot: {exc}"])
    say(f"Custom images of domain {domain_id} that are not this stack's:")
    table(["image", "app type", "versions", "import"], rows)


def _domain_id(d: Deployment) -> str:
    if d.settings.deploy_domain_id:
        return d.settings.deploy_domain_id
    if d.target.name != "local":
        raise UserError("deploy.domain_id: required for --target aws (the domain to import from)")
    for listed in d.sm.list_domains().get("Domains", []):
        if listed["DomainName"] == domains.LOCAL_DOMAIN:
            return listed["DomainId"]
    raise UserError(f"the local AWS has no domain {domains.LOCAL_DOMAIN} yet: nothing to import "
                    "(set deploy.domain_id to import from another domain)")


def _chosen(images: list[str], offered: dict, ours: set[str], domain_id: str) -> list[str]:
    for name in images:
        if name not in offered:
            raise UserError(f"--image {name}: domain {domain_id} offers no such custom image; it "
                            f"offers: {', '.join(sorted(offered)) or '(none)'}")
        if name in ours:
            raise UserError(f"--image {name}: already this stack's (deployed by up, or imported)")
    return list(dict.fromkeys(images)) or sorted(set(offered) - ours)


def _read(d: Deployment, name: str, app_type: str, entry: dict) -> Found:
    check_free(d.settings.images_dir, name)
    what = f"{name} ({app_type}, domain {d.settings.deploy_domain_id or 'local'})"
    config_name = entry.get("AppImageConfigName") or name
    stack = d.settings.deploy_stack
    image = _call(d.sm.describe_image, what, ImageName=name)
    tags = _tags(d.sm, image["ImageArn"])
    _not_anothers(tags, f"SageMaker Image {name}", stack)
    config = _call(d.sm.describe_app_image_config, what, AppImageConfigName=config_name)
    _not_anothers(_tags(d.sm, config["AppImageConfigArn"]), f"AppImageConfig {config_name}",
                  stack)
    data = spec_data_of(config, f"AppImageConfig {config_name}", name=name)
    if image.get("DisplayName"):
        data["display_name"] = image["DisplayName"]
    if data["app_type"] != app_type:
        raise UserError(f"AppImageConfig {config_name}: holds a {data['app_type']} config, but "
                        f"the domain lists {name} for {app_type}")
    if app_type == KERNEL_GATEWAY and len(data["kernels"]) > PROVIDER_KERNELS:
        raise UserError(f"AppImageConfig {config_name}: KernelGatewayImageConfig.KernelSpecs: "
                        f"{len(data['kernels'])} kernels; `up` deploys {PROVIDER_KERNELS} per "
                        "KernelGateway image (hashicorp/aws 3.39 takes one kernel_spec)")
    spec_of(data, Path(name), Reader(f"Image {name}"))     # the display name as image.yaml's
    versions = _versions(d.sm, name)
    current = _call(d.sm.describe_image_version, what, ImageName=name)
    if current["ImageVersionStatus"] != ImageVersionStatus.CREATED:
        raise UserError(f"{what}: its latest version {current['Version']} is "
                        f"{current['ImageVersionStatus']}; Terraform adopts an image's latest "
                        "version, so delete that one (DeleteImageVersion) first")
    repository, digest = _ecr_image(d, what, current)
    version = entry.get("ImageVersionNumber")
    return Found(name, app_type, image, tags, versions, current, config, config_name, data,
                 repository, digest, offers_latest=version is None, offered_version=version)


def _tags(sm, arn: str) -> list[dict]:
    tags, token = [], None
    while True:
        page = sm.list_tags(ResourceArn=arn, **({"NextToken": token} if token else {}))
        tags += page.get("Tags", [])
        token = page.get("NextToken")
        if not token:
            return tags


def _call(call, what: str, **params) -> dict:
    try:
        return call(**params)
    except ClientError as exc:
        raise UserError(f"{what}: {exc.response['Error']['Message']}") from None


def _not_anothers(tags: list[dict], what: str, stack: str) -> None:
    # Untagged is a team's hand-made resource, which is what is adopted; another stack's is not.
    if any(t.get("Key") == TAG for t in tags):
        refuse_unless_ours({"Key": TAG, "Value": stack} in tags, what, stack, tags)


def _versions(sm, name: str) -> list[dict]:
    versions, token = [], None
    while True:
        page = sm.list_image_versions(ImageName=name, SortBy="VERSION", SortOrder="ASCENDING",
                                      **({"NextToken": token} if token else {}))
        versions += page.get("ImageVersions", [])
        token = page.get("NextToken")
        if not token:
            return versions


def _ecr_image(d: Deployment, what: str, current: dict) -> tuple[dict, str]:
    """The ECR repository and digest of the image the current version runs: its ContainerImage,
    which SageMaker pinned when the version was made (a tag may have moved since)."""
    reference = current["BaseImage"]
    match = IMAGE_REFERENCE.fullmatch(reference)
    if not match:
        raise UserError(f"{what}: its current version's image {reference} is not an ECR image "
                        "reference (<registry>/<repository>@sha256:… or :<tag>)")
    ecr = d.target.client("ecr")
    try:
        repository = ecr.describe_repositories(
            repositoryNames=[match["repository"]])["repositories"][0]
    except ClientError as exc:
        raise UserError(f"{what}: its image {reference} is not in this account's ECR "
                        f"({exc.response['Error']['Message']})") from None
    if repository["repositoryUri"] != f"{match['registry']}/{match['repository']}":
        raise UserError(f"{what}: its image {reference} is on another registry than this "
                        f"account's ({repository['repositoryUri']})")
    pinned = IMAGE_REFERENCE.fullmatch(current.get("ContainerImage") or "")
    digest = match["digest"] or (pinned and pinned["digest"])
    image_id = {"imageDigest": digest} if digest else {"imageTag": match["tag"]}
    try:
        detail = ecr.describe_images(repositoryName=match["repository"],
                                     imageIds=[image_id])["imageDetails"][0]
    except (ClientError, IndexError):
        raise UserError(f"{what}: its current version's image {reference} is no longer in "
                        f"ECR; a version whose image is gone cannot be adopted") from None
    return repository, detail["imageDigest"]


def _show(found: list[Found], domain_id: str, dry_run: bool) -> None:
    say(("Would import" if dry_run else "Importing") + f" from domain {domain_id}:")
    table(["image", "app type", "versions", "current", "domain offers", "repository",
           "folder"],
          [[f.name, f.app_type, ", ".join(str(v["Version"]) for v in f.versions),
            f.current["Version"], "latest" if f.offers_latest else f.offered_version,
            f.repository["repositoryName"], f"images/{f.name}/ (FROM …@{f.digest[:19]}…)"]
           for f in found])


def _adopt(d: Deployment, found: list[Found], domain_id: str) -> None:
    stack_repositories = set(d.previous_inputs()) - adopted.names(d.record.images)
    previous = d.previous_inputs()
    live = {f.name: _live_inputs(f) for f in found}
    imported: list[str] = []
    written: list[Path] = []
    tagged: list[str] = []
    record_before = json.loads(json.dumps(d.record.data))
    # State, folders, record and tags go together: an `up` that finds an image in the state but
    # not in the record would destroy it, with every version made by hand.
    try:
        d.write_inputs(stack_repositories, {**previous, **live})
        for f in found:
            at = addresses(f.name)
            kinds = {"image": f.name, "version": f.name}
            if f.app_type == KERNEL_GATEWAY:
                kinds["config"] = f.config_name
            for kind, resource_id in kinds.items():
                say(f"Terraform: importing {f.name}'s {kind} ({at[kind]})")
                d.runner.import_resource(at[kind], resource_id)
                imported.append(at[kind])
        for f in found:
            written.append(write_folder(d.settings.images_dir, f.name, _folder_files(f)))
            _record(d, f, live[f.name])
        d.record.data.setdefault("domain_id", domain_id)
        d.record.save()
        for f in found:
            _tag(d, f, tagged)
    except BaseException:
        _undo(d, imported, written, tagged, record_before)
        d.write_inputs(stack_repositories, previous)
        raise


def _undo(d: Deployment, imported: list[str], written: list[Path], tagged: list[str],
          record_before: dict) -> None:
    for arn in tagged:
        d.sm.delete_tags(ResourceArn=arn, TagKeys=[TAG])
    d.record.data.clear()
    d.record.data.update(record_before)
    d.record.save()
    for folder in written:
        shutil.rmtree(folder, ignore_errors=True)
    for address in reversed(imported):
        d.runner.state_rm(address)


def _live_inputs(f: Found) -> dict:
    """The Terraform inputs under which AWS stays as it is."""
    kernels = (f.config.get(APP_IMAGE_CONFIG_KIND[KERNEL_GATEWAY]) or {}).get("KernelSpecs") or []
    spec = f.spec
    return {**image_inputs(spec, f.current["BaseImage"]),
            "display_name": f.image.get("DisplayName"),
            "kernels": [{"name": k["Name"], "display_name": k.get("DisplayName")}
                        for k in kernels],
            "role_arn": f.image["RoleArn"],
            "description": f.image.get("Description"),
            "tags": {t["Key"]: t["Value"] for t in f.tags
                     if t["Key"] != TAG and not t["Key"].startswith("aws:")},
            "repository_arn": f.repository["repositoryArn"],
            "app_image_config_name": None if f.config_name == f.name else f.config_name}


def _folder_files(f: Found) -> list[tuple[str, str, int]]:
    heading = (f"Adopted by `invoke import` from {f.name}'s AppImageConfig; its version "
               f"{f.current['Version']} runs {f.from_image}.")
    dockerfile = (
        f"# {f.name}: adopted by `invoke import`. Version {f.current['Version']} of this image "
        "was\n# made by hand; this is its image, by digest, so the first build is that image\n"
        "# unchanged and `./inv up` keeps that version. Add steps below (or write a new\n"
        "# Dockerfile) to make the next version.\n"
        f"FROM {f.from_image}\n")
    readme = (
        f"# {f.name} (adopted)\n\n"
        f"{f.app_type} image registered by hand before this project, adopted with "
        "`./inv import`: its Image, versions "
        f"({', '.join(str(v['Version']) for v in f.versions)}) and AppImageConfig are now this "
        "stack's. `image.yaml` was written from the live AppImageConfig and the Dockerfile "
        "starts FROM the current version's image.\n\n"
        "- `./inv up` changes nothing until this folder changes; then it pushes to the image's "
        f"own ECR repository ({f.repository['repositoryName']}) and makes the next version.\n"
        "- `./inv rollback --image NAME --version N` can choose any of the versions above.\n"
        "- `./inv down` deletes the Image with all its versions (the ECR repository stays).\n")
    return [(SPEC_FILE, spec_text(f.data, heading=heading), 0o644),
            ("Dockerfile", dockerfile, 0o644), ("README.md", readme, 0o644)]


def _tag(d: Deployment, f: Found, tagged: list[str]) -> None:
    """Tags the image (and a space's config, told ours by its tag), adding each ARN to `tagged`
    once it is."""
    arns = [f.image["ImageArn"]]
    if f.app_type != KERNEL_GATEWAY:
        arns.append(f.config["AppImageConfigArn"])
    for arn in arns:
        d.sm.add_tags(ResourceArn=arn, Tags=[{"Key": TAG, "Value": d.settings.deploy_stack}])
        tagged.append(arn)


def _record(d: Deployment, f: Found, live: dict) -> None:
    current = f.current["Version"]
    pinned = f.offered_version if f.offered_version not in (None, current) else None
    # Kept by `up` while the folder is as written: until then, the domain offers what it did.
    d.record.images[f.name] = {
        "inputs": live, "digest": f.digest, "image_uri": f.current["BaseImage"],
        "version": current, "pinned": pinned, "app_type": f.app_type,
        "versions": {f.digest: current},
        "adopted": {
            "repository": f.repository["repositoryName"],
            "repository_uri": f.repository["repositoryUri"],
            "repository_arn": f.repository["repositoryArn"],
            "reference": f.current["BaseImage"], "digest": f.digest,
            "fingerprint": adopted.fingerprint(d.settings.images_dir / f.name),
            "as_written": image_inputs(f.spec, f.current["BaseImage"]),
            "live": live, "offers_latest": f.offers_latest, "pinned_at_import": pinned,
            "config_name": f.config_name,
            "versions": [v["Version"] for v in f.versions],
        }}
