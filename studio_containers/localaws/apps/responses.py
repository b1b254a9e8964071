"""The Studio apps API's responses (user profiles, spaces, apps, their tags, presigned URLs), as
thin delegates to models.py; PATCHES puts them on moto's SageMakerResponse, in the server process
only (server/patches.py installs them).

CreateApp decides the image synchronously (so a bad request is a 4xx, as in AWS) and hands the
launch to the launcher, which reports the app's status as it goes.
"""
from urllib.parse import urlsplit

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from ...ports import HOST
from ...runtime.network import PUBLIC
from ...runtime.user_nat import HOST_LOOPBACK
from ...studio import APPS, JUPYTER_SERVER, SPACE_APP_TYPES, AppStatus, Owner
from ..sagemaker.models import find_domain
from ..sagemaker.paging import page, with_token
from ..sagemaker.responses import StudioResponses
from ..sagemaker.tags import merge_tags, remove_tags
from ..server.patches import ADD, SAGEMAKER_RESPONSE, Patch, copies
from .images import resolve
from .launcher import AppLauncher
from .models import AppsStore, settled_apps_store

SORTS = {"CreationTime": "creation_time", "LastModifiedTime": "last_modified_time"}
# moto's tag actions, still answering for every ARN that is not a profile's, space's or app's
# (taken before install() replaces them).
MOTO_TAG_ACTIONS = {name: vars(SageMakerResponse)[name]
                    for name in ("add_tags", "list_tags", "delete_tags")}
# ListTags's MaxResults is 50 to 100; AWS's default is its minimum.
TAGS_PAGE = 50


class AppsResponses:
    """Methods copied onto SageMakerResponse; `self` is moto's response object."""

    launcher: AppLauncher  # set by install()

    def _apps(self) -> AppsStore:
        if self._get_param("DomainId"):
            find_domain(self.sagemaker_backend, self._get_param("DomainId"))
        return settled_apps_store(self.sagemaker_backend)

    def _page(self, items: list) -> tuple[list, str | None]:
        descending = self._get_param("SortOrder") == "Descending"     # the model: Ascending
        sort = SORTS.get(self._get_param("SortBy") or "CreationTime", "creation_time")
        return page(sorted(items, key=lambda i: getattr(i, sort), reverse=descending),
                    self._get_param("MaxResults"), self._get_param("NextToken"))

    # User profiles

    def _check_images(self, member: str, settings: dict | None) -> None:
        # As for a domain: every image listed must exist and fit its app's settings.
        StudioResponses._studio(self).check_settings({member: settings})

    def create_user_profile(self):
        self._check_images("DefaultUserSettings", self._get_param("UserSettings"))
        profile = self._apps().create_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName"),
            self._get_param("UserSettings"), self._get_param("Tags"))
        return ActionResult({"UserProfileArn": profile.arn})

    def describe_user_profile(self):
        profile = self._apps().profile(self._get_param("DomainId"),
                                       self._get_param("UserProfileName"))
        return ActionResult(profile.describe())

    def update_user_profile(self):
        self._check_images("DefaultUserSettings", self._get_param("UserSettings"))
        profile = self._apps().update_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName"),
            self._get_param("UserSettings"))
        return ActionResult({"UserProfileArn": profile.arn})

    def delete_user_profile(self):
        self._apps().delete_profile(self._get_param("DomainId"), self._get_param("UserProfileName"))
        return EmptyResult()

    def list_user_profiles(self):
        domain, contains = self._get_param("DomainIdEquals"), self._get_param("UserProfileNameContains")
        found = [p for p in self._apps().profiles.values()
                 if (not domain or p.domain_id == domain)
                 and (not contains or contains.lower() in p.name.lower())]
        page, token = self._page(found)
        return ActionResult(with_token({"UserProfiles": [p.summary() for p in page]}, token))

    # Spaces

    def _check_space_settings(self) -> None:
        # A space's settings name images and lifecycle configs for its apps as a profile's do.
        StudioResponses._studio(self).check_settings(
            {"DefaultSpaceSettings": self._get_param("SpaceSettings")})

    def create_space(self):
        self._check_space_settings()
        space = self._apps().create_space(
            self._get_param("DomainId"), self._get_param("SpaceName"),
            self._get_param("SpaceSettings"), self._get_param("Tags"),
            self._get_param("SpaceDisplayName"), self._get_param("OwnershipSettings"),
            self._get_param("SpaceSharingSettings"))
        return ActionResult({"SpaceArn": space.arn})

    def describe_space(self):
        space = self._apps().space(self._get_param("DomainId"), self._get_param("SpaceName"))
        return ActionResult(space.describe())

    def update_space(self):
        self._check_space_settings()
        space = self._apps().update_space(
            self._get_param("DomainId"), self._get_param("SpaceName"),
            self._get_param("SpaceSettings"), self._get_param("SpaceDisplayName"))
        return ActionResult({"SpaceArn": space.arn})

    def delete_space(self):
        self._apps().delete_space(self._get_param("DomainId"), self._get_param("SpaceName"))
        return EmptyResult()

    def list_spaces(self):
        domain, contains = self._get_param("DomainIdEquals"), self._get_param("SpaceNameContains")
        found = [s for s in self._apps().spaces.values()
                 if (not domain or s.domain_id == domain)
                 and (not contains or contains.lower() in s.name.lower())]
        page, token = self._page(found)
        return ActionResult(with_token({"Spaces": [s.summary() for s in page]}, token))

    # Apps

    def _owner(self, store: AppsStore) -> tuple[str, str]:
        return store.owner_of(self._get_param("DomainId"), self._get_param("UserProfileName"),
                              self._get_param("SpaceName"))

    def create_app(self):
        store = self._apps()
        domain_id, app_type = self._get_param("DomainId"), self._get_param("AppType")
        owner = self._owner(store)
        domain = find_domain(self.sagemaker_backend, domain_id)
        resource_spec = dict(self._get_param("ResourceSpec") or {})
        if resource_spec.get("LifecycleConfigArn"):
            StudioResponses._studio(self).check_app_lifecycle_config(
                app_type, resource_spec["LifecycleConfigArn"])
        runtime = {}
        if app_type in APPS and APPS[app_type].takes_image:
            owner_settings = _owner_settings(store, domain, owner)
            chosen = resolve(StudioResponses._studio(self), app_type, resource_spec, owner[1],
                             owner_settings)
            runtime = {"image": chosen.container_image, "image_name": chosen.image_name,
                       "version": chosen.version, "config_name": chosen.config_name,
                       "config": chosen.config,
                       # Studio runs the app as its owner's execution role, else the domain's.
                       "execution_role": next((s["ExecutionRole"] for s in owner_settings
                                               if (s or {}).get("ExecutionRole")), None),
                       # VpcOnly: the app reaches only what the domain's VPC does (here, the
                       # local AWS, as through VPC endpoints).
                       "network_access": getattr(domain, "app_network_access_type", None)
                       or PUBLIC}
            resource_spec.setdefault("SageMakerImageVersionArn", StudioResponses._studio(self)
                                     .image_version(chosen.image_name, chosen.version).arn)
            lifecycle = _lifecycle(StudioResponses._studio(self), app_type, resource_spec,
                                   owner_settings)
            if lifecycle is not None:
                # Studio runs the one named, else the owner's default for this app (its
                # DefaultResourceSpec), and DescribeApp's ResourceSpec names it.
                resource_spec["LifecycleConfigArn"] = lifecycle.arn
                runtime["lifecycle"] = {"name": lifecycle.name, "content": lifecycle.content}
        if app_type in APPS:
            resource_spec.setdefault("InstanceType", APPS[app_type].instance_type)
        app = store.create_app(domain_id, owner, app_type, self._get_param("AppName"),
                               resource_spec, self._get_param("Tags"))
        app.runtime = runtime
        AppsResponses.launcher.launch(app)
        return ActionResult({"AppArn": app.arn})

    def describe_app(self):
        store = self._apps()
        app = store.app(self._get_param("DomainId"), self._owner(store),
                        self._get_param("AppType"), self._get_param("AppName"))
        return ActionResult(app.describe())

    def delete_app(self):
        store = self._apps()
        app = store.live_app(self._get_param("DomainId"), self._owner(store),
                             self._get_param("AppType"), self._get_param("AppName"))
        AppsResponses.launcher.stop(app)
        return EmptyResult()

    def list_apps(self):
        found = self._apps().list_apps(self._get_param("DomainIdEquals"),
                                       self._get_param("UserProfileNameEquals"),
                                       self._get_param("SpaceNameEquals"))
        page, token = self._page(found)
        return ActionResult(with_token({"Apps": [a.summary() for a in page]}, token))

    # Tags: Terraform reads a profile's and an app's tags on every refresh.

    def _tagged(self):
        return settled_apps_store(self.sagemaker_backend).tagged(self._get_param("ResourceArn"))

    def add_tags(self):
        resource = self._tagged()
        if resource is None:
            return MOTO_TAG_ACTIONS["add_tags"](self)
        tags = merge_tags(resource, self._get_param("ResourceArn"), self._get_param("Tags") or [])
        return ActionResult({"Tags": tags})

    def list_tags(self):
        resource = self._tagged()
        if resource is None:
            return MOTO_TAG_ACTIONS["list_tags"](self)
        found, token = page(resource.tags, self._get_param("MaxResults") or TAGS_PAGE,
                            self._get_param("NextToken"))
        return ActionResult(with_token({"Tags": found}, token))

    def delete_tags(self):
        resource = self._tagged()
        if resource is None:
            return MOTO_TAG_ACTIONS["delete_tags"](self)
        remove_tags(resource, self._get_param("TagKeys") or [])
        return EmptyResult()

    def create_presigned_domain_url(self):
        """The URL of the profile's Jupyter server, or of a space's app, with its token."""
        store = self._apps()
        domain_id = self._get_param("DomainId")
        store.profile(domain_id, self._get_param("UserProfileName"))
        space = self._get_param("SpaceName")
        if space:
            store.space(domain_id, space)
            candidates = [a for a in store.list_apps(domain_id, None, space)
                          if a.app_type in SPACE_APP_TYPES]
        else:
            candidates = [a for a in store.list_apps(domain_id, self._get_param("UserProfileName"),
                                                     None) if a.app_type == JUPYTER_SERVER]
        host = _this_machine_as_reached(self.headers.get("Host", ""))
        urls = [u for u in (AppsResponses.launcher.url(a, host) for a in reversed(candidates)) if u]
        if not urls:
            which = f"space {space}" if space else \
                f"user profile {self._get_param('UserProfileName')} (its {JUPYTER_SERVER} app)"
            raise ValidationError(f"No app of {which} is {AppStatus.IN_SERVICE}; create it with "
                                  f"CreateApp and wait until DescribeApp says {AppStatus.IN_SERVICE}.")
        return ActionResult({"AuthorizedUrl": urls[0]})


def _this_machine_as_reached(host_header: str) -> str:
    """The address a presigned URL gives this machine: 127.0.0.1, or, for a caller in an app
    container under user-mode NAT (a notebook's kernel), the address it reached the API at, since
    127.0.0.1 there is the container itself (as Studio's URLs work from wherever they are asked)."""
    try:
        host = urlsplit(f"//{host_header}").hostname
    except ValueError:      # not a host at all ("[bad"): the usual answer
        return HOST
    return HOST_LOOPBACK if host == HOST_LOOPBACK else HOST


def _lifecycle(studio, app_type: str, resource_spec: dict, owner_settings: list[dict]):
    """The lifecycle config an app starts with: CreateApp's, else its owner's default."""
    arn = resource_spec.get("LifecycleConfigArn") or next(
        (arn for settings in owner_settings
         if (arn := (((settings or {}).get(f"{app_type}AppSettings") or {})
                     .get("DefaultResourceSpec") or {}).get("LifecycleConfigArn"))), None)
    return None if arn is None else studio.check_app_lifecycle_config(app_type, arn)


def _owner_settings(store: AppsStore, domain, owner: tuple[str, str]) -> list[dict]:
    """Where an owner's CustomImages come from, most specific first."""
    kind, name = owner
    if kind == Owner.USER_PROFILE:
        return [store.profile(domain.id, name).settings, domain.default_user_settings]
    # A space's own settings list no images (the model has no CustomImages there) but may name
    # a default lifecycle config; then its owner's profile, the domain's defaults for spaces and
    # for users.
    space = store.space(domain.id, name)
    owner_name = (space.ownership or {}).get("OwnerUserProfileName")
    profile = store.profiles.get((domain.id, (owner_name or "").lower()))
    return [space.settings or {}, profile.settings if profile else {},
            domain.default_space_settings or {}, domain.default_user_settings]


def methods() -> dict:
    return {name: member for name, member in vars(AppsResponses).items()
            if callable(member) and not name.startswith("__") and name != "launcher"}


PATCHES = [
    Patch(f"{__name__}:AppsResponses", "launcher", ADD, lambda inner, context: context.launcher),
    # The tag actions answer for profiles, spaces and apps, and call moto's for the rest.
    *copies(SAGEMAKER_RESPONSE, methods(), replacing=("add_tags", "list_tags", "delete_tags")),
]
