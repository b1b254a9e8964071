"""Installs the Studio image API into moto's SageMaker service and fixes its domain quirks.

moto dispatches an action to the same-named snake_case method of `SageMakerResponse`; this module
adds the missing methods to that class, in the server process only.
"""
import secrets
import string
from functools import lru_cache

import botocore.session
from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from .models import VERSION_DETAILS, ImageResolver, StudioStore, now, page
from .validation import constraint_errors, validation_message

ORDER_KEYS = {
    "CREATION_TIME": "creation_time", "CreationTime": "creation_time",
    "LAST_MODIFIED_TIME": "last_modified_time", "LastModifiedTime": "last_modified_time",
    "IMAGE_NAME": "name", "Name": "name", "VERSION": "version",
}


@lru_cache(maxsize=1)
def _service_model():
    return botocore.session.get_session().get_service_model("sagemaker")


def store(backend: SageMakerModelBackend) -> StudioStore:
    if not hasattr(backend, "studio_store"):
        backend.studio_store = StudioStore(backend.account_id, backend.region_name)
    return backend.studio_store


class StudioResponses:
    """Methods copied onto SageMakerResponse; `self` is moto's response object."""

    resolve_image: ImageResolver  # set by install()

    def _studio(self) -> StudioStore:
        operation = _service_model().operation_model(self._get_action())
        errors = constraint_errors(operation, self.params)
        if errors:
            raise ValidationError(validation_message(errors))
        return store(self.sagemaker_backend)

    def _listing(self, items: list, default_sort: str, time_filters: dict) -> tuple[list, str]:
        for param, (attribute, after) in time_filters.items():
            bound = self._get_param(param)
            if bound is not None:
                items = [i for i in items if (getattr(i, attribute) > bound) == after]
        sort_by = self._get_param("SortBy") or default_sort
        descending = (self._get_param("SortOrder") or "Descending").upper() == "DESCENDING"
        items = sorted(items, key=lambda i: getattr(i, ORDER_KEYS[sort_by]), reverse=descending)
        return page(items, self._get_param("MaxResults"), self._get_param("NextToken"))

    # Image

    def create_image(self):
        image = self._studio().create_image(
            self._get_param("ImageName"), self._get_param("RoleArn"),
            self._get_param("DisplayName"), self._get_param("Description"),
            self._get_param("Tags"))
        return ActionResult({"ImageArn": image.arn})

    def describe_image(self):
        return ActionResult(self._studio().image(self._get_param("ImageName")).describe())

    def update_image(self):
        changes = {p: self._get_param(p) for p in ("Description", "DisplayName", "RoleArn")}
        image = self._studio().update_image(
            self._get_param("ImageName"), self._get_param("DeleteProperties"), changes)
        return ActionResult({"ImageArn": image.arn})

    def delete_image(self):
        self._studio().delete_image(self._get_param("ImageName"))
        return EmptyResult()

    def list_images(self):
        images = self._studio().list_images(self._get_param("NameContains"))
        found, token = self._listing(images, "CREATION_TIME", _TIME_FILTERS)
        return ActionResult(_with_token({"Images": [i.summary() for i in found]}, token))

    # ImageVersion

    def create_image_version(self):
        version = self._studio().create_image_version(
            self._get_param("ImageName"), self._get_param("BaseImage"),
            self._get_param("ClientToken"), self._get_param("Aliases"),
            {k: self._get_param(k) for k in VERSION_DETAILS}, StudioResponses.resolve_image)
        return ActionResult({"ImageVersionArn": version.arn})

    def describe_image_version(self):
        version = self._studio().image_version(
            self._get_param("ImageName"), self._get_param("Version"), self._get_param("Alias"))
        return ActionResult(version.describe())

    def delete_image_version(self):
        self._studio().delete_image_version(
            self._get_param("ImageName"), self._get_param("Version"), self._get_param("Alias"))
        return EmptyResult()

    def list_image_versions(self):
        versions = self._studio().list_image_versions(self._get_param("ImageName"))
        found, token = self._listing(versions, "CREATION_TIME", _TIME_FILTERS)
        return ActionResult(_with_token({"ImageVersions": [v.summary() for v in found]}, token))

    # AppImageConfig

    def _app_configs(self) -> dict:
        return {kind: self._get_param(kind) for kind in (
            "KernelGatewayImageConfig", "JupyterLabAppImageConfig", "CodeEditorAppImageConfig")}

    def create_app_image_config(self):
        config = self._studio().create_app_image_config(
            self._get_param("AppImageConfigName"), self._app_configs(), self._get_param("Tags"))
        return ActionResult({"AppImageConfigArn": config.arn})

    def describe_app_image_config(self):
        name = self._get_param("AppImageConfigName")
        return ActionResult(self._studio().app_image_config(name).describe())

    def update_app_image_config(self):
        config = self._studio().update_app_image_config(
            self._get_param("AppImageConfigName"), self._app_configs())
        return ActionResult({"AppImageConfigArn": config.arn})

    def delete_app_image_config(self):
        self._studio().delete_app_image_config(self._get_param("AppImageConfigName"))
        return EmptyResult()

    def list_app_image_configs(self):
        configs = self._studio().list_app_image_configs(self._get_param("NameContains"))
        found, token = self._listing(configs, "CreationTime", _CONFIG_TIME_FILTERS)
        return ActionResult(_with_token(
            {"AppImageConfigs": [c.describe() for c in found]}, token))

    # Domain

    def update_domain(self):
        studio = self._studio()
        domain = self.sagemaker_backend.domains.get(self._get_param("DomainId"))
        if domain is None:
            raise ValidationError("RecordNotFound")
        user_settings = self._get_param("DefaultUserSettings") or {}
        space_settings = self._get_param("DefaultSpaceSettings") or {}
        for settings in (user_settings, space_settings):
            for app in ("KernelGatewayAppSettings", "JupyterLabAppSettings",
                        "CodeEditorAppSettings"):
                studio.check_custom_images(settings.get(app), app)
        # Nested settings merge member by member; a list given (CustomImages) replaces the old
        # one whole, which is why callers must read, merge and write.
        domain.default_user_settings = _merged(domain.default_user_settings, user_settings)
        domain.default_space_settings = _merged(domain.default_space_settings, space_settings)
        domain.domain_settings = _merged(domain.domain_settings,
                                         self._get_param("DomainSettingsForUpdate") or {})
        for param, attribute in (("AppSecurityGroupManagement", "app_security_group_management"),
                                 ("SubnetIds", "subnet_ids"),
                                 ("AppNetworkAccessType", "app_network_access_type")):
            if self._get_param(param) is not None:
                setattr(domain, attribute, self._get_param(param))
        domain.last_modified_time = now()
        return ActionResult({"DomainArn": domain.arn})


_TIME_FILTERS = {
    "CreationTimeAfter": ("creation_time", True), "CreationTimeBefore": ("creation_time", False),
    "LastModifiedTimeAfter": ("last_modified_time", True),
    "LastModifiedTimeBefore": ("last_modified_time", False),
}
_CONFIG_TIME_FILTERS = {
    "CreationTimeAfter": ("creation_time", True), "CreationTimeBefore": ("creation_time", False),
    "ModifiedTimeAfter": ("last_modified_time", True),
    "ModifiedTimeBefore": ("last_modified_time", False),
}


def _with_token(result: dict, token: str | None) -> dict:
    if token:
        result["NextToken"] = token
    return result


def _merged(old: dict | None, new: dict) -> dict | None:
    if not new:
        return old
    result = dict(old or {})
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


def _find_taggable(backend: SageMakerModelBackend, arn: str, original):
    kind, _, name = arn.split(":")[-1].partition("/")
    resource = store(backend).taggable(kind, name)
    if resource is not None:
        return resource
    resource = original(backend, arn)
    if getattr(resource, "tags", []) is None:
        # moto keeps tags=None for a domain created without tags, which breaks ListTags.
        resource.tags = []
    return resource


def _add_tags(backend: SageMakerModelBackend, arn: str, tags: list[dict]) -> list[dict]:
    # AWS overwrites the value of a key that is already there; moto would list the key twice.
    resource = backend._get_resource_from_arn(arn)
    new_keys = {t["Key"] for t in tags}
    resource.tags = [t for t in resource.tags if t["Key"] not in new_keys] + list(tags)
    return resource.tags


def _domain_not_found(method):
    # Provider 3.39 treats a domain as gone only on ValidationException containing
    # "RecordNotFound" (what AWS said then); moto says "Could not find domain", so destroy wedged.
    def wrapper(backend, domain_id, *args, **kwargs):
        if domain_id not in backend.domains:
            raise ValidationError(f"RecordNotFound: Domain {domain_id} does not exist.")
        return method(backend, domain_id, *args, **kwargs)
    return wrapper


def _create_domain(original):
    # moto names a domain "d-<DomainName>" (not a valid id for names with capitals or dots) and
    # checks duplicates against ids, so a second domain of the same name slipped through.
    def wrapper(backend, domain_name, **kwargs):
        if any(d.domain_name == domain_name for d in backend.domains.values()):
            raise ResourceInUseException(f"Resource Already Exists: Domain with name "
                                         f"{domain_name} already exists. Choose a different name.")
        original(backend, domain_name=domain_name, **kwargs)
        domain = backend.domains.pop(f"d-{domain_name}")
        domain.id = "d-" + "".join(secrets.choice(string.ascii_lowercase + string.digits)
                                   for _ in range(12))
        domain.arn = arn_formatter("domain", domain.id, backend.account_id, backend.region_name)
        domain.url = f"https://{domain.id}.studio.{backend.region_name}.sagemaker.aws"
        domain.tags = list(domain.tags or [])
        backend.domains[domain.id] = domain
        return {"DomainArn": domain.arn, "Url": domain.url}
    return wrapper


def install(resolve_image: ImageResolver) -> None:
    for name, member in vars(StudioResponses).items():
        if callable(member) and not name.startswith("__"):
            setattr(SageMakerResponse, name, member)
    StudioResponses.resolve_image = staticmethod(resolve_image)
    original_find = SageMakerModelBackend._get_resource_from_arn
    SageMakerModelBackend._get_resource_from_arn = (
        lambda backend, arn: _find_taggable(backend, arn, original_find))
    SageMakerModelBackend.add_tags = _add_tags
    SageMakerModelBackend.create_domain = _create_domain(SageMakerModelBackend.create_domain)
    SageMakerModelBackend.describe_domain = _domain_not_found(SageMakerModelBackend.describe_domain)
    SageMakerModelBackend.delete_domain = _domain_not_found(SageMakerModelBackend.delete_domain)
