"""Studio's user profiles, spaces and apps on the local AWS: their state and AWS's rules for them.

moto has none of these. A profile or a space belongs to a domain; an app belongs to one of them.
Which app types go where, and that an app's name is unique among its owner's live apps, follow
AWS. Launching (the app's container) is not done here: the store tells its `launcher` when an
app is created or deleted, and the launcher reports back through set_status().
"""
import time
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Protocol

from moto.sagemaker.exceptions import (
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)

from ...studio import (
    APPS,
    LIVE_APP_STATUSES,
    PROFILE_APP_TYPES,
    SPACE_APP_TYPES,
    AppStatus,
    Owner,
    ResourceStatus,
)
from ..sagemaker.models import _merged, missing_resource, now

# How long a deleted user profile or space shows as Deleting: long enough for a waiter or
# Terraform to see the phase, short enough not to slow them.
DELETING_SECONDS = 1.0


def clock() -> float:
    """Wall-clock seconds: a Deleting phase outlives a restart of the local AWS."""
    return time.time()


class Launcher(Protocol):
    def launch(self, app: "App") -> None: ...
    def stop(self, app: "App") -> None: ...


@dataclass
class UserProfile:
    domain_id: str
    name: str
    arn: str
    settings: dict
    tags: list[dict]
    status: str = ResourceStatus.IN_SERVICE
    creation_time: datetime = field(default_factory=now)
    last_modified_time: datetime = field(default_factory=now)
    deleted_at: float | None = None     # clock() of the DeleteUserProfile

    def summary(self) -> dict:
        return {"DomainId": self.domain_id, "UserProfileName": self.name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}

    def describe(self) -> dict:
        found = {**self.summary(), "UserProfileArn": self.arn, "HomeEfsFileSystemUid": 200001}
        # AWS leaves out settings never given; an empty object would be a settings block to
        # Terraform, which plans to remove it on every run.
        if self.settings:
            found["UserSettings"] = self.settings
        return found


@dataclass
class Space:
    domain_id: str
    name: str
    arn: str
    settings: dict
    tags: list[dict]
    display_name: str | None = None
    ownership: dict | None = None
    sharing: dict | None = None
    status: str = ResourceStatus.IN_SERVICE
    creation_time: datetime = field(default_factory=now)
    last_modified_time: datetime = field(default_factory=now)
    deleted_at: float | None = None     # clock() of the DeleteSpace

    def summary(self) -> dict:
        found = {"DomainId": self.domain_id, "SpaceName": self.name, "Status": self.status,
                 "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}
        if self.display_name:
            found["SpaceDisplayName"] = self.display_name
        return found

    def describe(self) -> dict:
        found = {**self.summary(), "SpaceArn": self.arn}
        if self.settings:       # left out when never given, as for a user profile
            found["SpaceSettings"] = self.settings
        if self.ownership:
            found["OwnershipSettings"] = self.ownership
        if self.sharing:
            found["SpaceSharingSettings"] = self.sharing
        return found


@dataclass
class App:
    domain_id: str
    owner_kind: str                 # an Owner
    owner: str
    app_type: str
    name: str
    arn: str
    resource_spec: dict
    tags: list[dict]
    status: str = AppStatus.PENDING
    failure_reason: str | None = None
    creation_time: datetime = field(default_factory=now)
    # Where the launcher runs it: what a restart needs to find it again (no secrets).
    runtime: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return app_key(self.domain_id, (self.owner_kind, self.owner), self.app_type, self.name)

    def summary(self) -> dict:
        return {"DomainId": self.domain_id, self.owner_kind: self.owner, "AppType": self.app_type,
                "AppName": self.name, "Status": self.status, "CreationTime": self.creation_time,
                "ResourceSpec": self.resource_spec}

    def describe(self) -> dict:
        found = {**self.summary(), "AppArn": self.arn}
        if self.failure_reason:
            found["FailureReason"] = self.failure_reason
        return found


def apps_store(backend) -> "AppsStore":
    """The apps store of a moto SageMaker backend, made on first use (saved along with it)."""
    if not hasattr(backend, "apps_store"):
        backend.apps_store = AppsStore(backend.account_id, backend.region_name)
    return backend.apps_store


def settled_apps_store(backend) -> "AppsStore":
    """The apps store as a request sees it: what has finished deleting is gone. Called under
    the server's lock, as every request is."""
    store = apps_store(backend)
    store.settle(set(backend.domains))
    return store


class AppsStore:
    def __init__(self, account_id: str, region: str):
        self.account_id, self.region = account_id, region
        self.profiles: dict[tuple[str, str], UserProfile] = {}
        self.spaces: dict[tuple[str, str], Space] = {}
        # Every app ever created, deleted ones included: AWS lists Deleted apps for a while.
        self.apps: list[App] = []

    def settle(self, domains: set[str]) -> None:
        """Profiles and spaces whose Deleting phase is over are gone, and all that a deleted
        domain held: AWS lists none of it. A domain is deleted only once its profiles and spaces
        are, so what is left of it are apps Deleted or Failed; a live one (in a state file of a
        time when that was not checked) is kept, so that the launcher still finds it."""
        over = clock() - DELETING_SECONDS
        for table in (self.profiles, self.spaces):
            for key, resource in list(table.items()):
                if resource.domain_id not in domains or \
                        (resource.deleted_at is not None and resource.deleted_at <= over):
                    del table[key]
        self.apps = [a for a in self.apps
                     if a.domain_id in domains or a.status in LIVE_APP_STATUSES]

    def arn(self, kind: str, *parts: str) -> str:
        # AWS lower-cases the resource part of these ARNs.
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/" + \
            "/".join(p.lower() for p in parts)

    # User profiles

    def create_profile(self, domain_id: str, name: str, settings: dict | None,
                       tags: list | None) -> UserProfile:
        if _key(domain_id, name) in self.profiles:
            raise ResourceInUseException(f"Resource Already Exists: UserProfile with name {name} "
                                         f"already exists. Choose a different name.")
        profile = UserProfile(domain_id, name, self.arn("user-profile", domain_id, name),
                              dict(settings or {}), list(tags or []))
        self.profiles[_key(domain_id, name)] = profile
        return profile

    def profile(self, domain_id: str, name: str) -> UserProfile:
        if _key(domain_id, name) not in self.profiles:
            raise ResourceNotFound(f"User profile {self.arn('user-profile', domain_id, name)} "
                                   "does not exist.")
        return self.profiles[_key(domain_id, name)]

    def update_profile(self, domain_id: str, name: str, settings: dict | None) -> UserProfile:
        profile = self.profile(domain_id, name)
        if settings:
            profile.settings = _merged(profile.settings, settings)
            profile.last_modified_time = now()
        return profile

    def delete_profile(self, domain_id: str, name: str) -> None:
        profile = self.profile(domain_id, name)
        self._refuse_with_live_apps(domain_id, Owner.USER_PROFILE, name, "User profile")
        _deleting(profile)

    # Spaces

    def create_space(self, domain_id: str, name: str, settings: dict | None, tags: list | None,
                     display_name: str | None, ownership: dict | None,
                     sharing: dict | None) -> Space:
        if _key(domain_id, name) in self.spaces:
            raise ResourceInUseException(f"Resource Already Exists: Space with name {name} "
                                         f"already exists. Choose a different name.")
        if ownership:
            _refuse_deleting(self.profile(domain_id, ownership.get("OwnerUserProfileName") or ""))
        space = Space(domain_id, name, self.arn("space", domain_id, name), dict(settings or {}),
                      list(tags or []), display_name, ownership, sharing)
        self.spaces[_key(domain_id, name)] = space
        return space

    def space(self, domain_id: str, name: str) -> Space:
        if _key(domain_id, name) not in self.spaces:
            raise ResourceNotFound(f"Space {self.arn('space', domain_id, name)} does not exist.")
        return self.spaces[_key(domain_id, name)]

    def update_space(self, domain_id: str, name: str, settings: dict | None,
                     display_name: str | None) -> Space:
        space = self.space(domain_id, name)
        if settings:
            space.settings = _merged(space.settings, settings)
        if display_name is not None:
            space.display_name = display_name
        space.last_modified_time = now()
        return space

    def delete_space(self, domain_id: str, name: str) -> None:
        space = self.space(domain_id, name)
        self._refuse_with_live_apps(domain_id, Owner.SPACE, name, "Space")
        _deleting(space)

    def _refuse_with_live_apps(self, domain_id: str, kind: str, owner: str, what: str) -> None:
        live = [a for a in self.apps
                if (a.domain_id, a.owner_kind, a.owner) == (domain_id, kind, owner)
                and a.status in LIVE_APP_STATUSES]
        if live:
            raise ResourceInUseException(f"{what} {owner} has {len(live)} app(s) that are not "
                                         f"deleted ({', '.join(a.name for a in live)}); delete "
                                         "them first.")

    def settings_holders(self) -> list[SimpleNamespace]:
        """Profiles and spaces shaped as domains are (id and the two default settings), so the
        image API's "still listed" checks read their CustomImages (a space's list none) and
        lifecycle configs too."""
        return [SimpleNamespace(id=f"{p.domain_id} (user profile {p.name})",
                                default_user_settings=p.settings, default_space_settings=None)
                for p in self.profiles.values()] + \
            [SimpleNamespace(id=f"{s.domain_id} (space {s.name})", default_user_settings=None,
                             default_space_settings=s.settings) for s in self.spaces.values()]

    # Tags

    def tagged(self, arn: str):
        """The profile, space or app of that ARN, for the tag actions; None for other kinds."""
        kind = arn.split(":", 5)[-1].partition("/")[0]
        # An app's ARN names each app ever created under that name: only a live one is there.
        # AWS deletes a failed app by itself, and answers ListTags of one with a
        # ValidationException (hashicorp/terraform-provider-aws#27265).
        candidates = {"user-profile": self.profiles.values(), "space": self.spaces.values(),
                      "app": [a for a in self.apps if a.status in LIVE_APP_STATUSES]}.get(kind)
        if candidates is None:
            return None
        found = next((r for r in candidates if r.arn == arn), None)
        if found is None:
            raise missing_resource()
        return found

    # Apps

    def owner_of(self, domain_id: str, profile: str | None, space: str | None) -> tuple[str, str]:
        if bool(profile) == bool(space):
            raise ValidationError("Exactly one of UserProfileName and SpaceName must be "
                                  "specified.")
        if profile:
            return Owner.USER_PROFILE, self.profile(domain_id, profile).name
        return Owner.SPACE, self.space(domain_id, space).name

    def create_app(self, domain_id: str, owner: tuple[str, str], app_type: str, name: str,
                   resource_spec: dict, tags: list | None) -> App:
        kind, owner_name = owner
        _refuse_deleting(self.profile(domain_id, owner_name) if kind == Owner.USER_PROFILE
                         else self.space(domain_id, owner_name))
        allowed = PROFILE_APP_TYPES if kind == Owner.USER_PROFILE else SPACE_APP_TYPES
        if app_type not in allowed:
            where = "a user profile" if kind == Owner.USER_PROFILE else "a space"
            raise ValidationError(f"AppType {app_type} cannot be created for {where} on the "
                                  f"local AWS; allowed: {', '.join(allowed)}.")
        required = APPS[app_type].app_name
        if required and name != required:
            raise ValidationError(f"AppName must be '{required}' for a {app_type} app.")
        key = app_key(domain_id, owner, app_type, name)
        if any(a.key == key and a.status in LIVE_APP_STATUSES for a in self.apps):
            raise ResourceInUseException(f"Resource Already Exists: App {name} of type "
                                         f"{app_type} already exists for {owner_name}.")
        app = App(domain_id, kind, owner_name, app_type, name,
                  self.arn("app", domain_id, owner_name, app_type, name),
                  dict(resource_spec or {}), list(tags or []))
        self.apps.append(app)
        return app

    def app(self, domain_id: str, owner: tuple[str, str], app_type: str, name: str) -> App:
        key = app_key(domain_id, owner, app_type, name)
        found = [a for a in self.apps if a.key == key]
        if not found:
            raise ResourceNotFound(f"App {self.arn('app', domain_id, owner[1], app_type, name)} "
                                   "does not exist.")
        return found[-1]        # the newest of the same name; older ones are Deleted or Failed

    def live_app(self, domain_id: str, owner: tuple[str, str], app_type: str, name: str) -> App:
        app = self.app(domain_id, owner, app_type, name)
        if app.status in (AppStatus.DELETED, AppStatus.DELETING):
            raise ResourceNotFound(f"App {app.arn} has already been deleted.")
        return app

    def list_apps(self, domain_id: str | None, profile: str | None, space: str | None) -> list[App]:
        return [a for a in self.apps
                if (not domain_id or a.domain_id == domain_id)
                and (not profile or (a.owner_kind, a.owner.lower()) ==
                     (Owner.USER_PROFILE, profile.lower()))
                and (not space or (a.owner_kind, a.owner.lower()) == (Owner.SPACE, space.lower()))]


def _refuse_deleting(resource) -> None:
    """A profile or space being deleted takes no new app or space."""
    if resource.status == ResourceStatus.DELETING:
        what = "User profile" if isinstance(resource, UserProfile) else "Space"
        raise ValidationError(f"{what} {resource.arn} is being deleted.")


def _deleting(resource) -> None:
    """DeleteUserProfile and DeleteSpace: Deleting for a moment (Describe and List show it, a
    new one of the name is refused), then gone, as on AWS, whose waiters and Terraform's delete
    poll for that. Asked again meanwhile, it changes nothing."""
    if resource.status != ResourceStatus.DELETING:
        resource.status = ResourceStatus.DELETING
        resource.deleted_at = clock()
        resource.last_modified_time = now()


def _key(domain_id: str, name: str) -> tuple[str, str]:
    # SageMaker's ARNs lower-case names, so names differing only in case are one resource (and
    # the provider looks them up by the name it reads back from the ARN).
    return domain_id, name.lower()


def app_key(domain_id: str, owner: tuple[str, str], app_type: str, name: str) -> tuple:
    return domain_id, owner[0], owner[1].lower(), app_type, name.lower()
