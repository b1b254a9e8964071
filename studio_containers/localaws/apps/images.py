"""Which image an app runs, decided as Studio decides it at CreateApp.

The ResourceSpec names a SageMaker image (its ARN, one version's ARN, or an alias). Studio runs it
only when the image is offered to the app's owner: listed in the CustomImages of the app type's
settings of the user profile (for a space, its owner's), or the domain's defaults. That entry names the
AppImageConfig, which says how the image is run, and may pin a version; otherwise the newest
version that was created is used.
"""
from dataclasses import dataclass

from moto.sagemaker.exceptions import ValidationError

from ...studio import APP_IMAGE_CONFIG_KIND, APP_SETTINGS_OF, ImageVersionStatus
from ..sagemaker.models import StudioStore, image_name_of_arn, image_version_of_arn


@dataclass(frozen=True)
class AppImage:
    image_name: str
    version: int
    container_image: str
    config_name: str
    config: dict            # the AppImageConfig's member for this app type


def offered_entries(app_type: str, owner_settings: list[dict]) -> list[dict]:
    """The CustomImages entries for `app_type`, from the owner's settings first, then defaults."""
    setting = APP_SETTINGS_OF[app_type]
    return [entry for settings in owner_settings
            for entry in ((settings or {}).get(setting) or {}).get("CustomImages") or []]


def resolve(studio: StudioStore, app_type: str, resource_spec: dict, owner: str,
            owner_settings: list[dict]) -> AppImage:
    image_arn = resource_spec.get("SageMakerImageArn")
    version_arn = resource_spec.get("SageMakerImageVersionArn")
    alias = resource_spec.get("SageMakerImageVersionAlias")
    if not (image_arn or version_arn):
        raise ValidationError(f"ResourceSpec.SageMakerImageArn or SageMakerImageVersionArn is "
                              f"required: the local AWS runs custom images only (SageMaker's own "
                              f"{app_type} images are not available offline).")
    name_in_arn, number = image_version_of_arn(version_arn) if version_arn else \
        (image_name_of_arn(image_arn), None)
    entries = offered_entries(app_type, owner_settings)
    entry = next((e for e in entries if e["ImageName"].lower() == name_in_arn.lower()), None)
    if entry is None:
        raise ValidationError(
            f"Image {name_in_arn} is not attached to {owner} or its domain: it is not in the "
            f"CustomImages of {APP_SETTINGS_OF[app_type]} (attach it with UpdateDomain, "
            "UpdateUserProfile).")
    image = studio.image(entry["ImageName"])
    if number is None and alias is None:
        number = entry.get("ImageVersionNumber")
    if number is None and alias is None:
        created = [v for v in image.versions.values() if v.status == ImageVersionStatus.CREATED]
        if not created:
            raise ValidationError(f"Image {image.name} has no version in "
                                  f"{ImageVersionStatus.CREATED} status.")
        version = max(created, key=lambda v: v.version)
    else:
        version = studio.image_version(image.name, number, alias)
    if version.status != ImageVersionStatus.CREATED or not version.container_image:
        raise ValidationError(f"ImageVersion {version.arn} is {version.status}: "
                              f"{version.failure_reason or 'it cannot be run'}.")
    config = studio.app_image_config(entry["AppImageConfigName"])
    kind = APP_IMAGE_CONFIG_KIND[app_type]
    if kind not in config.configs:
        raise ValidationError(f"AppImageConfig {config.name} has no {kind}; a {app_type} app "
                              "cannot run with it.")
    return AppImage(image.name, version.version, version.container_image, config.name,
                    config.configs[kind])
