"""`rollback`: point the domain at an earlier ImageVersion of an image this stack deployed."""
from botocore.exceptions import ClientError

from ..console import say
from ..errors import UserError
from ..settings import Settings
from ..studio import ImageVersionStatus
from .deployment import Deployment, deployment
from .record import DeployRecord
from .targets import check_inputs


def rollback(settings: Settings, target_name: str, image: str, version: int) -> None:
    check_inputs(settings, target_name)
    # Read without the lock, before the target is opened (which starts the local AWS): an image
    # this stack never deployed there is refused with nothing started. Checked again under it.
    _check_recorded(DeployRecord(settings.state_dir, target_name), image, target_name)
    with deployment(settings, target_name) as d:
        _check_deployed(d, image)
        found = _usable_version(d.sm, image, version)
        entry = d.record.images[image]
        # The version `up` made needs no pin: choosing it undoes an earlier rollback.
        entry["pinned"] = None if version == entry["version"] else version
        d.record.save()
        domain_id = d.record.data["domain_id"]
        d.attach_domain(domain_id)
    say(f"Domain {domain_id} now offers {image} version {version} "
        f"({found['ContainerImage'] or found['BaseImage']})")


def _check_deployed(d: Deployment, image: str) -> None:
    _check_recorded(d.record, image, d.target.name)


def _check_recorded(record: DeployRecord, image: str, target: str) -> None:
    if image not in record.images:
        deployed = ", ".join(sorted(record.images)) or "none"
        raise UserError(f"--image {image}: not deployed by this stack on {target} "
                        f"(deployed: {deployed})")


def _usable_version(sm, image: str, version: int) -> dict:
    try:
        found = sm.describe_image_version(ImageName=image, Version=version)
    except ClientError:
        listed = sm.list_image_versions(ImageName=image, SortBy="VERSION",
                                        SortOrder="ASCENDING")["ImageVersions"]
        have = ", ".join(str(v["Version"]) for v in listed
                         if v["ImageVersionStatus"] == ImageVersionStatus.CREATED)
        raise UserError(f"--version {version}: {image} has no such version; "
                        f"available: {have}") from None
    if found["ImageVersionStatus"] != ImageVersionStatus.CREATED:
        raise UserError(f"--version {version}: {image} version {version} is "
                        f"{found['ImageVersionStatus']}, it cannot be used")
    return found
