"""`invoke studio`: a user's local Studio, brought up through the Studio API of the local AWS only,
from what `invoke up --target local` deployed, as Studio's own front end would.

For a user (Studio Classic): the user profile, one KernelGateway app per image the domain offers
in KernelGatewayAppSettings (named after the image), and the JupyterServer app whose lab reaches
them. For a space (new Studio): the space, and its app on the image asked for (or the first space
image the domain offers, JupyterLab before Code Editor). Missing pieces are created; Failed apps
are created again. The URL is CreatePresignedDomainUrl's. `--stop` deletes the apps (profiles,
spaces and homes stay).
"""
from botocore.exceptions import ClientError

from ..console import detail, say
from ..errors import UserError
from ..localaws.control import LocalAws
from ..settings import Settings
from ..studio import (
    APPS,
    JUPYTER_SERVER,
    KERNEL_GATEWAY,
    SPACE_APP_TYPES,
    AppStatus,
    Owner,
)
from ..wait import NotYet, wait_until
from .domain import LOCAL_DOMAIN, custom_images

LIVE = (AppStatus.PENDING, AppStatus.IN_SERVICE)     # for this task: apps that run or will
KEPT = LIVE + (AppStatus.FAILED,)                    # apps `--stop` deletes
POLL_SECONDS = 0.5
DELETE_TIMEOUT = 120


class LocalStudio:
    def __init__(self, settings: Settings, user: str):
        self.settings, self.user = settings, user
        self.sm = LocalAws(settings).ensure_started().client("sagemaker")
        self.domain_id = settings.deploy_domain_id or self._deployed_domain()
        self.domain = self.sm.describe_domain(DomainId=self.domain_id)

    def _deployed_domain(self) -> str:
        for domain in self.sm.list_domains().get("Domains", []):
            if domain["DomainName"] == LOCAL_DOMAIN:
                return domain["DomainId"]
        raise UserError("no local Studio domain yet: deploy images first with `./inv up` "
                        "(--target local, the default)")

    def _ensure(self, create, describe, what: str) -> None:
        try:
            describe()
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFound":
                raise
            say(f"Creating {what}")
            create()

    def ensure_user(self) -> None:
        self._ensure(lambda: self.sm.create_user_profile(DomainId=self.domain_id,
                                                         UserProfileName=self.user),
                     lambda: self.sm.describe_user_profile(DomainId=self.domain_id,
                                                           UserProfileName=self.user),
                     f"user profile {self.user}")

    def ensure_space(self, space: str) -> None:
        self._ensure(lambda: self.sm.create_space(
            DomainId=self.domain_id, SpaceName=space,
            OwnershipSettings={"OwnerUserProfileName": self.user},
            SpaceSharingSettings={"SharingType": "Private"}),
            lambda: self.sm.describe_space(DomainId=self.domain_id, SpaceName=space),
            f"space {space}")

    def _app(self, owner: dict, app_type: str, name: str, resource_spec: dict | None) -> dict:
        key = dict(DomainId=self.domain_id, **owner, AppType=app_type, AppName=name)
        try:
            status = self.sm.describe_app(**key)["Status"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFound":
                raise
            status = None
        if status not in LIVE:
            say(f"Creating the {app_type} app {name}" + (" (it failed before)" if status == AppStatus.FAILED
                                                         else ""))
            self.sm.create_app(**key, **({"ResourceSpec": resource_spec} if resource_spec else {}))
        return key

    def up_user(self) -> str:
        self.ensure_user()
        owner = {Owner.USER_PROFILE: self.user}
        entries = custom_images(self.domain, KERNEL_GATEWAY)
        if not entries:
            raise UserError(f"domain {self.domain_id} offers no {KERNEL_GATEWAY} image; deploy one "
                            "with `./inv up`, or use --space for a space image")
        apps = [self._app(owner, KERNEL_GATEWAY, e["ImageName"], self._spec(e)) for e in entries]
        apps.append(self._app(owner, JUPYTER_SERVER, APPS[JUPYTER_SERVER].app_name, None))
        self._wait(apps)
        return self.sm.create_presigned_domain_url(DomainId=self.domain_id,
                                                   UserProfileName=self.user)["AuthorizedUrl"]

    def up_space(self, space: str, image: str | None) -> str:
        self.ensure_user()
        self.ensure_space(space)
        offered = [(app_type, e) for app_type in SPACE_APP_TYPES
                   for e in custom_images(self.domain, app_type)]
        chosen = [(t, e) for t, e in offered if image in (None, e["ImageName"])]
        if not chosen:
            names = ", ".join(e["ImageName"] for _, e in offered)
            raise UserError(f"--image: {image} is not among the space images domain "
                            f"{self.domain_id} offers ({names})" if offered else
                            f"domain {self.domain_id} offers no space image; deploy one with "
                            "`./inv up`")
        app_type, entry = chosen[0]     # JupyterLab images first: the common case
        if len(chosen) > 1:
            others = ", ".join(e["ImageName"] for _, e in chosen[1:])
            say(f"Using {entry['ImageName']} for space {space} (also offered: {others}; "
                "pick one with --image)")
        running = [a for a in self._apps({Owner.SPACE: space}) if a["AppType"] != app_type]
        for other in running:           # a space runs one app: switching type replaces it
            self._delete([other])
        app = self._app({Owner.SPACE: space}, app_type, APPS[app_type].app_name, self._spec(entry))
        self._wait([app])
        return self.sm.create_presigned_domain_url(DomainId=self.domain_id, UserProfileName=self.user,
                                                   SpaceName=space)["AuthorizedUrl"]

    def _spec(self, entry: dict) -> dict:
        arn = self.sm.describe_image(ImageName=entry["ImageName"])["ImageArn"]
        return {"SageMakerImageArn": arn}

    def _apps(self, owner: dict) -> list[dict]:
        filters = {"UserProfileNameEquals" if Owner.USER_PROFILE in owner else "SpaceNameEquals":
                   next(iter(owner.values()))}
        pages = self.sm.get_paginator("list_apps").paginate(DomainIdEquals=self.domain_id, **filters)
        found = [app for page in pages for app in page["Apps"]]
        return [{"DomainId": a["DomainId"], **owner, "AppType": a["AppType"],
                 "AppName": a["AppName"]} for a in found if a["Status"] in KEPT]

    def _wait(self, apps: list[dict]) -> None:
        pending = list(apps)
        failed = []

        def settled():
            for key in list(pending):
                described = self.sm.describe_app(**key)
                if described["Status"] == AppStatus.IN_SERVICE:
                    detail(f"{key['AppType']} {key['AppName']}: {AppStatus.IN_SERVICE}")
                    pending.remove(key)
                elif described["Status"] != AppStatus.PENDING:
                    failed.append(f"{key['AppType']} {key['AppName']}: {described['Status']}: "
                                  f"{described.get('FailureReason', 'no reason given')}")
                    pending.remove(key)
            return not pending or NotYet(f"{AppStatus.PENDING}: "
                                         + ", ".join(k["AppName"] for k in pending))
        wait_until(settled, timeout=max(self.settings.validate_space_ready_timeout, 600),
                   interval=POLL_SECONDS, what="the apps to leave " + AppStatus.PENDING,
                   hint="see the local AWS's log (`./inv aws.status`)")
        if failed:
            raise UserError("apps failed to start (DescribeApp's FailureReason): " + "; ".join(failed))

    def _delete(self, apps: list[dict]) -> None:
        for key in apps:
            if self.sm.describe_app(**key)["Status"] in KEPT:
                say(f"Deleting the {key['AppType']} app {key['AppName']}")
                self.sm.delete_app(**key)
        def deleted():
            left = [k["AppName"] for k in apps
                    if self.sm.describe_app(**k)["Status"] == AppStatus.DELETING]
            return not left or NotYet(f"{AppStatus.DELETING}: {', '.join(left)}")
        wait_until(deleted, timeout=DELETE_TIMEOUT, interval=POLL_SECONDS,
                   what="the apps to be deleted", hint="see the local AWS's log (`./inv aws.status`)")

    def stop(self, space: str | None) -> int:
        owner = {Owner.SPACE: space} if space else {Owner.USER_PROFILE: self.user}
        apps = self._apps(owner)
        self._delete(apps)
        return len(apps)
