"""The Studio image API's state: Images, ImageVersions and AppImageConfigs of one account/region,
and the changes UpdateDomain makes to moto's domains.

Behaviour follows AWS: names are unique, version numbers grow per image and are never reused,
CreateImageVersion is idempotent on its ClientToken, a version whose base image cannot be found
ends CREATE_FAILED, what a domain lists cannot be deleted, and "not found" messages carry the
phrases the hashicorp/aws provider looks for.
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from moto.sagemaker.exceptions import (
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)
from moto.sagemaker.models import SageMakerModelBackend

from .lifecycle import LifecycleConfigs

from ...studio import (
    ALLOWED_UID_GID,
    APP_IMAGE_CONFIG_KIND,
    APP_IMAGE_CONFIG_KINDS,
    APP_SETTINGS,
    DEFAULT_MOUNT_PATH,
    DEFAULT_UID_GID,
    KERNEL_GATEWAY,
    ImageStatus,
    ImageVersionStatus,
)

DEFAULT_FILE_SYSTEM = {"MountPath": DEFAULT_MOUNT_PATH, "DefaultUid": DEFAULT_UID_GID[0],
                       "DefaultGid": DEFAULT_UID_GID[1]}
# Only a Kernel Gateway image may move its home; Studio fixes the other apps' home.
FILE_SYSTEM_KIND = APP_IMAGE_CONFIG_KIND[KERNEL_GATEWAY]
VERSION_DETAILS = ("VendorGuidance", "JobType", "MLFramework", "ProgrammingLang", "Processor",
                   "Horovod", "ReleaseNotes")
# UpdateDomain's members and the attributes of moto's Domain they change: settings merge, the
# network members replace.
DOMAIN_SETTINGS = {"DefaultUserSettings": "default_user_settings",
                   "DefaultSpaceSettings": "default_space_settings",
                   "DomainSettingsForUpdate": "domain_settings"}
DOMAIN_NETWORK = {"AppSecurityGroupManagement": "app_security_group_management",
                  "SubnetIds": "subnet_ids", "AppNetworkAccessType": "app_network_access_type"}
# The UpdateDomain members whose app settings list CustomImages.
CUSTOM_IMAGE_SETTINGS = ("DefaultUserSettings", "DefaultSpaceSettings")

# Resolves a BaseImage to (ContainerImage, None) or (None, failure reason).
ImageResolver = Callable[[str], tuple[str | None, str | None]]


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class ImageVersion:
    image_name: str
    version: int
    arn: str
    image_arn: str
    base_image: str
    client_token: str
    container_image: str | None
    status: str
    failure_reason: str | None
    aliases: list[str]
    details: dict
    creation_time: datetime = field(default_factory=lambda: now())
    last_modified_time: datetime = field(default_factory=lambda: now())
    tags: list[dict] = field(default_factory=list)

    def describe(self) -> dict:
        return _without_none({
            "BaseImage": self.base_image, "ContainerImage": self.container_image,
            "CreationTime": self.creation_time, "FailureReason": self.failure_reason,
            "ImageArn": self.image_arn, "ImageVersionArn": self.arn,
            "ImageVersionStatus": self.status, "LastModifiedTime": self.last_modified_time,
            "Version": self.version, **self.details,
        })

    def summary(self) -> dict:
        return _without_none({
            "CreationTime": self.creation_time, "FailureReason": self.failure_reason,
            "ImageArn": self.image_arn, "ImageVersionArn": self.arn,
            "ImageVersionStatus": self.status, "LastModifiedTime": self.last_modified_time,
            "Version": self.version,
        })


@dataclass
class Image:
    name: str
    arn: str
    role_arn: str
    display_name: str | None
    description: str | None
    tags: list[dict]
    status: str = ImageStatus.CREATED
    failure_reason: str | None = None
    next_version: int = 1
    versions: dict[int, ImageVersion] = field(default_factory=dict)
    creation_time: datetime = field(default_factory=lambda: now())
    last_modified_time: datetime = field(default_factory=lambda: now())

    def summary(self) -> dict:
        return _without_none({
            "CreationTime": self.creation_time, "Description": self.description,
            "DisplayName": self.display_name, "FailureReason": self.failure_reason,
            "ImageArn": self.arn, "ImageName": self.name, "ImageStatus": self.status,
            "LastModifiedTime": self.last_modified_time,
        })

    def describe(self) -> dict:
        return {**self.summary(), "RoleArn": self.role_arn}


@dataclass
class AppImageConfig:
    name: str
    arn: str
    configs: dict
    tags: list[dict]
    creation_time: datetime = field(default_factory=lambda: now())
    last_modified_time: datetime = field(default_factory=lambda: now())

    def describe(self) -> dict:
        return {"AppImageConfigArn": self.arn, "AppImageConfigName": self.name,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
                **self.configs}


def studio_store(backend: SageMakerModelBackend) -> "StudioStore":
    """The Studio store of a moto SageMaker backend, made on first use."""
    if not hasattr(backend, "studio_store"):
        backend.studio_store = StudioStore(backend.account_id, backend.region_name)
    return backend.studio_store


def find_domain(backend: SageMakerModelBackend, domain_id: str):
    """moto's Domain of that id; a missing one is ResourceNotFound, as AWS answers.

    hashicorp/aws 3.x, 4.x and 5.x all take ResourceNotFound for "gone" when they read or delete a
    domain (3.x's wait for a deletion looks for "RecordNotFound", but its delete then accepts the
    ResourceNotFound that wait ends with), so every provider version gets this one answer. moto's
    ValidationException fails 3.x's refresh and every version's destroy.
    """
    if domain_id not in backend.domains:
        raise ResourceNotFound(f"Cannot find Domain {domain_id}.")
    return backend.domains[domain_id]


def custom_images(domains: Iterable) -> Iterator[tuple[str, dict]]:
    """(domain id, entry) for every CustomImages entry of every app the domains' defaults list."""
    for domain in domains:
        for member in CUSTOM_IMAGE_SETTINGS:
            settings = getattr(domain, DOMAIN_SETTINGS[member]) or {}
            for setting in APP_SETTINGS:
                for entry in (settings.get(setting) or {}).get("CustomImages") or []:
                    yield domain.id, entry


class StudioStore(LifecycleConfigs):
    """Kept on moto's SageMaker backend of its account/region, so it is saved along with it."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region
        self.images: dict[str, Image] = {}
        self.app_image_configs: dict[str, AppImageConfig] = {}

    def arn(self, kind: str, name: str) -> str:
        # SageMaker lower-cases the resource part of its ARNs (the model's ImageVersionArn pattern
        # allows nothing else), so names that differ only in case would share one ARN.
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name.lower()}"

    # Images

    def create_image(self, name: str, role_arn: str, display_name: str | None,
                     description: str | None, tags: list[dict] | None) -> Image:
        arn = self.arn("image", name)
        if any(i.arn == arn for i in self.images.values()):
            raise ResourceInUseException(f"Image {arn} already exists.")
        image = Image(name, arn, role_arn, display_name, description, list(tags or []))
        self.images[name] = image
        return image

    def image(self, name: str) -> Image:
        if name not in self.images:
            # Provider 3.x matches "No Image with the name" while waiting and "does not exist"
            # when reading; AWS has used both phrasings.
            raise ResourceNotFound(f"No Image with the name {name} exists: "
                                   f"Image {self.arn('image', name)} does not exist.")
        return self.images[name]

    def update_image(self, name: str, delete_properties: list[str] | None,
                     changes: dict) -> Image:
        image = self.image(name)
        for prop in delete_properties or []:
            if prop not in ("Description", "DisplayName"):
                raise ValidationError(f"DeleteProperties: {prop} cannot be deleted; "
                                      "allowed: Description, DisplayName")
            if changes.get(prop) is not None:
                raise ValidationError(f"{prop} cannot be both updated and deleted.")
            setattr(image, _attribute(prop), None)
        for prop, value in changes.items():
            if value is not None:
                setattr(image, _attribute(prop), value)
        image.last_modified_time = now()
        return image

    def delete_image(self, name: str, domains: Iterable = ()) -> None:
        # AWS deletes the image with all its versions; the container images stay in ECR.
        image = self.image(name)
        _refuse_if_listed(f"Image {image.arn}", domains, lambda e: e["ImageName"] == name)
        del self.images[name]

    def list_images(self, name_contains: str | None) -> list[Image]:
        return [i for i in self.images.values() if _name_contains(i.name, name_contains)]

    # Image versions

    def create_image_version(self, image_name: str, base_image: str, client_token: str,
                             aliases: list[str] | None, details: dict,
                             resolve: ImageResolver) -> ImageVersion:
        image = self.image(image_name)
        for existing in image.versions.values():
            if existing.client_token == client_token:
                if existing.base_image != base_image:
                    raise ValidationError("ClientToken was already used with a different "
                                          "BaseImage.")
                return existing
        _check_aliases_free(image, aliases or [], None)
        container_image, failure = resolve(base_image)
        number = image.next_version
        image.next_version += 1
        version = ImageVersion(
            image_name=image_name, version=number,
            arn=self.arn("image-version", f"{image_name}/{number}"), image_arn=image.arn,
            base_image=base_image, client_token=client_token, container_image=container_image,
            status=ImageVersionStatus.CREATE_FAILED if failure else ImageVersionStatus.CREATED, failure_reason=failure,
            aliases=list(aliases or []),
            details={k: v for k, v in details.items() if v is not None})
        image.versions[number] = version
        return version

    def image_version(self, image_name: str, number: int | None = None,
                      alias: str | None = None) -> ImageVersion:
        image = self.image(image_name)
        if number is not None and alias is not None:
            raise ValidationError("Specify either Version or Alias, not both.")
        if alias is not None:
            found = [v for v in image.versions.values() if alias in v.aliases]
        elif number is not None:
            found = [image.versions[number]] if number in image.versions else []
        else:
            found = [image.versions[max(image.versions)]] if image.versions else []
        if not found:
            which = f"version {number}" if number is not None else (
                f"alias {alias}" if alias is not None else "any version")
            raise ResourceNotFound(
                f"No ImageVersion with the name {image_name} and {which} exists: ImageVersion "
                f"{self.arn('image-version', f'{image_name}/{number or alias or 1}')} "
                "does not exist.")
        return found[0]

    def update_image_version(self, image_name: str, number: int | None, alias: str | None,
                             aliases_to_add: list[str] | None,
                             aliases_to_delete: list[str] | None, details: dict) -> ImageVersion:
        version = self.image_version(image_name, number, alias)
        add, delete = list(aliases_to_add or []), set(aliases_to_delete or [])
        both = delete.intersection(add)
        if both:
            raise ValidationError(f"Alias {min(both)} cannot be both added and deleted.")
        _check_aliases_free(self.images[image_name], add, version)
        # Deleting an alias the version does not have changes nothing, as DeleteTags does.
        kept = [a for a in version.aliases if a not in delete]
        version.aliases = kept + [a for a in dict.fromkeys(add) if a not in kept]
        version.details.update({k: v for k, v in details.items() if v is not None})
        version.last_modified_time = now()
        return version

    def delete_image_version(self, image_name: str, number: int | None, alias: str | None,
                             domains: Iterable = ()) -> None:
        if number is None and alias is None:
            raise ValidationError("Specify Version or Alias of the image version to delete.")
        version = self.image_version(image_name, number, alias)
        _refuse_if_listed(f"ImageVersion {version.arn}", domains,
                          lambda e: (e["ImageName"], e.get("ImageVersionNumber")) == (
                              image_name, version.version))
        del self.images[image_name].versions[version.version]

    def list_image_versions(self, image_name: str) -> list[ImageVersion]:
        return list(self.image(image_name).versions.values())

    def list_aliases(self, image_name: str, number: int | None, alias: str | None) -> list[str]:
        """The aliases of one version, or of every version (oldest first) when none is named."""
        if number is None and alias is None:
            image = self.image(image_name)
            return [a for n in sorted(image.versions) for a in image.versions[n].aliases]
        return list(self.image_version(image_name, number, alias).aliases)

    # App image configs

    def create_app_image_config(self, name: str, configs: dict,
                                tags: list[dict] | None) -> AppImageConfig:
        arn = self.arn("app-image-config", name)
        if any(c.arn == arn for c in self.app_image_configs.values()):
            raise ResourceInUseException(f"AppImageConfig {arn} already exists.")
        config = AppImageConfig(name, arn, _checked_app_configs(configs), list(tags or []))
        self.app_image_configs[name] = config
        return config

    def app_image_config(self, name: str) -> AppImageConfig:
        if name not in self.app_image_configs:
            raise ResourceNotFound(
                f"App Image Config {self.arn('app-image-config', name)} does not exist.")
        return self.app_image_configs[name]

    def update_app_image_config(self, name: str, configs: dict) -> AppImageConfig:
        config = self.app_image_config(name)
        config.configs = _checked_app_configs(configs)
        config.last_modified_time = now()
        return config

    def delete_app_image_config(self, name: str, domains: Iterable = ()) -> None:
        config = self.app_image_config(name)
        _refuse_if_listed(f"AppImageConfig {config.arn}", domains,
                          lambda e: e["AppImageConfigName"] == name)
        del self.app_image_configs[name]

    def list_app_image_configs(self, name_contains: str | None) -> list[AppImageConfig]:
        return [c for c in self.app_image_configs.values()
                if _name_contains(c.name, name_contains)]

    # Tags

    def taggable(self, arn: str):
        """The Image, ImageVersion, AppImageConfig or lifecycle config of that ARN; None for
        other kinds."""
        kind = arn.split(":", 5)[-1].partition("/")[0]
        if kind == "image":
            candidates = list(self.images.values())
        elif kind == "image-version":
            candidates = [v for i in self.images.values() for v in i.versions.values()]
        elif kind == "app-image-config":
            candidates = list(self.app_image_configs.values())
        elif kind == "studio-lifecycle-config":
            candidates = list(self.lifecycle_configs.values())
        else:
            return None
        for resource in candidates:
            if resource.arn == arn:
                return resource
        raise missing_resource()

    # Domains

    def check_custom_images(self, app_settings: dict | None, setting: str) -> None:
        """The CustomImages of a domain's app settings must exist and fit the app."""
        for entry in (app_settings or {}).get("CustomImages") or []:
            image = self.image(entry["ImageName"])
            if entry.get("ImageVersionNumber") is not None:
                self.image_version(image.name, entry["ImageVersionNumber"])
            config = self.app_image_config(entry["AppImageConfigName"])
            wanted = APP_SETTINGS.get(setting)
            if wanted and wanted not in config.configs:
                raise ValidationError(
                    f"AppImageConfig {config.name} has no {wanted}; it cannot be used in "
                    f"{setting}.CustomImages.")

    def check_settings(self, request: dict) -> None:
        """Every CustomImages list of a CreateDomain/UpdateDomain request (or a profile's or a
        space's settings), checked, every image its DefaultResourceSpecs name, and every
        lifecycle config it names."""
        for member in CUSTOM_IMAGE_SETTINGS:
            for setting in APP_SETTINGS:
                self.check_custom_images((request.get(member) or {}).get(setting), setting)
            for app_settings in (request.get(member) or {}).values():
                if isinstance(app_settings, dict):
                    self.check_resource_spec(app_settings.get("DefaultResourceSpec") or {})
        self.check_lifecycle_arns(request)

    def check_resource_spec(self, spec: dict) -> None:
        """The image, version or alias of this account a ResourceSpec names exists
        (ResourceNotFound, as for CustomImages, if not). SageMaker's own images (its accounts'
        ARNs, in settings copied from AWS) are left to CreateApp, which refuses to run them."""
        version_arn = spec.get("SageMakerImageVersionArn")
        image_arn = spec.get("SageMakerImageArn")
        if version_arn and self._ours(version_arn):
            name, number = image_version_of_arn(version_arn)
            self.image_version(self.image_of_arn(self.arn("image", name)).name, number)
        elif image_arn and not version_arn and self._ours(image_arn):
            image = self.image_of_arn(image_arn)
            if spec.get("SageMakerImageVersionAlias"):
                self.image_version(image.name, alias=spec["SageMakerImageVersionAlias"])

    def _ours(self, arn: str) -> bool:
        return arn.split(":")[3:5] == [self.region, self.account_id]

    def image_of_arn(self, arn: str) -> Image:
        # An ARN holds the name lower-cased; the image keeps it as it was created.
        name = image_name_of_arn(arn)
        return next((i for i in self.images.values() if i.arn == self.arn("image", name)), None) \
            or self.image(name)

    def update_domain(self, domain, changes: dict) -> None:
        """Applies UpdateDomain to moto's Domain; `changes` holds the request's members."""
        self.check_settings(changes)
        # Nested settings merge member by member; a list given (CustomImages) replaces the old
        # one whole, which is why callers must read, merge and write.
        for member, attribute in DOMAIN_SETTINGS.items():
            setattr(domain, attribute, _merged(getattr(domain, attribute), changes.get(member)))
        for member, attribute in DOMAIN_NETWORK.items():
            if changes.get(member) is not None:
                setattr(domain, attribute, changes[member])
        domain.last_modified_time = now()


def image_name_of_arn(arn: str) -> str:
    resource = arn.rsplit(":", 1)[-1]
    if not resource.startswith("image/"):
        raise ValidationError(f"SageMakerImageArn {arn} is not an image ARN.")
    return resource.split("/", 1)[1]


def image_version_of_arn(arn: str) -> tuple[str, int]:
    resource = arn.rsplit(":", 1)[-1]
    kind, _, rest = resource.partition("/")
    name, _, number = rest.rpartition("/")
    if kind != "image-version" or not name or not number.isdigit():
        raise ValidationError(f"SageMakerImageVersionArn {arn} is not an image version ARN.")
    return name, int(number)


def missing_resource() -> ValidationError:
    # What AWS answers AddTags/ListTags/DeleteTags for an ARN of nothing (those operations model
    # no error of their own, so a ValidationException).
    return ValidationError("Resource does not exist")


def _refuse_if_listed(what: str, domains: Iterable, listed: Callable[[dict], bool]) -> None:
    for domain_id, entry in custom_images(domains):
        if listed(entry):
            raise ResourceInUseException(f"{what} is in use: Domain {domain_id} lists it in its "
                                         "CustomImages.")


def _check_aliases_free(image: Image, aliases: list[str], owner: ImageVersion | None) -> None:
    taken = {a for v in image.versions.values() if v is not owner for a in v.aliases}
    for alias in aliases:
        if alias in taken:
            raise ValidationError(f"Alias {alias} is already used by another version of "
                                  f"image {image.name}.")


def _name_contains(name: str, part: str | None) -> bool:
    # The API reference does not say whether NameContains is case-sensitive; SageMaker compares
    # names case-insensitively elsewhere (its ARNs are lower-cased), so both listings do too.
    return not part or part.lower() in name.lower()


def _checked_app_configs(configs: dict) -> dict:
    given = {kind: value for kind, value in configs.items() if value is not None}
    if len(given) > 1:
        raise ValidationError(f"Only one of {', '.join(APP_IMAGE_CONFIG_KINDS[:-1])} and "
                              f"{APP_IMAGE_CONFIG_KINDS[-1]} may be specified.")
    result = {}
    for kind, value in given.items():
        value = dict(value)
        fs = value.get("FileSystemConfig")
        if kind != FILE_SYSTEM_KIND and fs:
            raise ValidationError(f"FileSystemConfig is not supported for {kind}; the home is "
                                  f"{DEFAULT_MOUNT_PATH} with UID {DEFAULT_UID_GID[0]} and GID "
                                  f"{DEFAULT_UID_GID[1]}.")
        if fs is not None:
            fs = {**DEFAULT_FILE_SYSTEM, **fs}
            if (fs["DefaultUid"], fs["DefaultGid"]) not in ALLOWED_UID_GID:
                raise ValidationError(
                    f"Invalid DefaultUid/DefaultGid ({fs['DefaultUid']}, {fs['DefaultGid']}) in "
                    f"{kind}.FileSystemConfig; allowed pairs: "
                    f"{' and '.join(str(pair) for pair in ALLOWED_UID_GID)}.")
            value["FileSystemConfig"] = fs
        result[kind] = value
    return result


def _attribute(prop: str) -> str:
    return {"Description": "description", "DisplayName": "display_name",
            "RoleArn": "role_arn"}[prop]


def _without_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


# Structures that are one value (a resource spec), replaced whole: leaving a member out of the
# new one removes it, as a deploy detaching its default lifecycle config needs.
WHOLE = {"DefaultResourceSpec"}


def _merged(old: dict | None, new: dict | None) -> dict | None:
    if not new:
        return old
    result = dict(old or {})
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict) and key not in WHOLE:
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result
