"""The Studio image API's responses: the actions moto's SageMakerResponse lacks, as thin delegates.

moto dispatches an action to the same-named snake_case method of `SageMakerResponse`; each method
here reads the request, checks its constraints, calls the model (models.py) and formats the answer.
PATCHES adds them to that class, in the server process only (server/patches.py installs them).
"""
from datetime import datetime, timezone
from typing import Callable

from moto.core.responses import ActionResult, EmptyResult

from ...studio import APP_IMAGE_CONFIG_KINDS, LIVE_APP_STATUSES
from ..server.patches import ADD, SAGEMAKER_RESPONSE, Patch, copies, wrap
from .models import (
    CUSTOM_IMAGE_SETTINGS,
    DOMAIN_NETWORK,
    DOMAIN_SETTINGS,
    VERSION_DETAILS,
    ImageResolver,
    StudioStore,
    find_domain,
    now,
    studio_store,
)
from .paging import listing, page, with_token

# The time bounds a listing takes: request member → (attribute, keep what is after it).
TIME_FILTERS = {
    "CreationTimeAfter": ("creation_time", True), "CreationTimeBefore": ("creation_time", False),
    "LastModifiedTimeAfter": ("last_modified_time", True),
    "LastModifiedTimeBefore": ("last_modified_time", False),
}
CONFIG_TIME_FILTERS = {
    "CreationTimeAfter": ("creation_time", True), "CreationTimeBefore": ("creation_time", False),
    "ModifiedTimeAfter": ("last_modified_time", True),
    "ModifiedTimeBefore": ("last_modified_time", False),
}


class StudioResponses:
    """Methods copied onto SageMakerResponse; `self` is moto's response object."""

    resolve_image: ImageResolver  # the context's, set by patches.install()

    def _studio(self) -> StudioStore:
        # The request's constraints were checked at the front door (server/constraints.py).
        return studio_store(self.sagemaker_backend)

    def _domains(self) -> list:
        # Deletes refuse what any of them lists in its CustomImages: the domains' defaults, and
        # the user profiles' and spaces' own settings.
        from ..apps.models import settled_apps_store
        return list(self.sagemaker_backend.domains.values()) + \
            settled_apps_store(self.sagemaker_backend).settings_holders()

    def _listing(self, items: list, default_sort: str, time_filters: dict) -> tuple[list, str]:
        bounds = [(attribute, _utc(self._get_param(param)), after)
                  for param, (attribute, after) in time_filters.items()
                  if self._get_param(param) is not None]
        descending = (self._get_param("SortOrder") or "Descending").upper() == "DESCENDING"
        return listing(items, bounds, self._get_param("SortBy") or default_sort, descending,
                       self._get_param("MaxResults"), self._get_param("NextToken"))

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
        self._studio().delete_image(self._get_param("ImageName"), self._domains())
        return EmptyResult()

    def list_images(self):
        images = self._studio().list_images(self._get_param("NameContains"))
        found, token = self._listing(images, "CREATION_TIME", TIME_FILTERS)
        return ActionResult(with_token({"Images": [i.summary() for i in found]}, token))

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

    def update_image_version(self):
        version = self._studio().update_image_version(
            self._get_param("ImageName"), self._get_param("Version"), self._get_param("Alias"),
            self._get_param("AliasesToAdd"), self._get_param("AliasesToDelete"),
            {k: self._get_param(k) for k in VERSION_DETAILS})
        return ActionResult({"ImageVersionArn": version.arn})

    def delete_image_version(self):
        self._studio().delete_image_version(
            self._get_param("ImageName"), self._get_param("Version"), self._get_param("Alias"),
            self._domains())
        return EmptyResult()

    def list_image_versions(self):
        versions = self._studio().list_image_versions(self._get_param("ImageName"))
        found, token = self._listing(versions, "CREATION_TIME", TIME_FILTERS)
        return ActionResult(with_token({"ImageVersions": [v.summary() for v in found]}, token))

    def list_aliases(self):
        aliases = self._studio().list_aliases(
            self._get_param("ImageName"), self._get_param("Version"), self._get_param("Alias"))
        found, token = page(aliases, self._get_param("MaxResults"), self._get_param("NextToken"))
        return ActionResult(with_token({"SageMakerImageVersionAliases": found}, token))

    # AppImageConfig

    def _app_configs(self) -> dict:
        return {kind: self._get_param(kind) for kind in APP_IMAGE_CONFIG_KINDS}

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
        self._studio().delete_app_image_config(self._get_param("AppImageConfigName"),
                                               self._domains())
        return EmptyResult()

    def list_app_image_configs(self):
        configs = self._studio().list_app_image_configs(self._get_param("NameContains"))
        found, token = self._listing(configs, "CreationTime", CONFIG_TIME_FILTERS)
        return ActionResult(with_token(
            {"AppImageConfigs": [c.describe() for c in found]}, token))

    # Studio lifecycle configs (lifecycle.py)

    def create_studio_lifecycle_config(self):
        config = self._studio().create_lifecycle_config(
            self._get_param("StudioLifecycleConfigName"),
            self._get_param("StudioLifecycleConfigContent"),
            self._get_param("StudioLifecycleConfigAppType"), self._get_param("Tags"), now())
        return ActionResult({"StudioLifecycleConfigArn": config.arn})

    def describe_studio_lifecycle_config(self):
        name = self._get_param("StudioLifecycleConfigName")
        return ActionResult(self._studio().lifecycle_config(name).describe())

    def delete_studio_lifecycle_config(self):
        from ..apps.models import settled_apps_store
        apps = settled_apps_store(self.sagemaker_backend)
        self._studio().delete_lifecycle_config(
            self._get_param("StudioLifecycleConfigName"), self._domains(),
            [app for app in apps.apps if app.status in LIVE_APP_STATUSES])
        return EmptyResult()

    def list_studio_lifecycle_configs(self):
        configs = self._studio().list_lifecycle_configs(self._get_param("NameContains"),
                                                         self._get_param("AppTypeEquals"))
        found, token = self._listing(configs, "CreationTime", CONFIG_TIME_FILTERS)
        return ActionResult(with_token(
            {"StudioLifecycleConfigs": [c.summary() for c in found]}, token))

    # Domain (moto has every other domain action, but not this one)

    def update_domain(self):
        studio = self._studio()
        domain = find_domain(self.sagemaker_backend, self._get_param("DomainId"))
        studio.update_domain(domain, {member: self._get_param(member)
                                      for member in (*DOMAIN_SETTINGS, *DOMAIN_NETWORK)})
        return ActionResult({"DomainArn": domain.arn})


def _utc(moment: datetime) -> datetime:
    # moto parses timestamps to naive UTC; the model's times are aware, and the two do not compare.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _checked_create_domain(original: Callable) -> Callable:
    # moto takes any settings; AWS checks the request and the custom images it lists first.
    def create_domain(self):
        self._studio().check_settings(
            {member: self._get_param(member) for member in CUSTOM_IMAGE_SETTINGS})
        return original(self)
    return create_domain


def methods() -> dict:
    """The methods added to SageMakerResponse, by name."""
    return {name: member for name, member in vars(StudioResponses).items()
            if callable(member) and not name.startswith("__") and name != "resolve_image"}


PATCHES = [
    Patch(f"{__name__}:StudioResponses", "resolve_image", ADD,
          lambda inner, context: staticmethod(context.resolve_image)),
    *copies(SAGEMAKER_RESPONSE, methods()),
    wrap(SAGEMAKER_RESPONSE, "create_domain", _checked_create_domain),
]
