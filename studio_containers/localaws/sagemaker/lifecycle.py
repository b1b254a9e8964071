"""Studio lifecycle configurations (`*StudioLifecycleConfig*`), which moto lacks, and the checks
of what refers to them.

Facts from the API reference and botocore's model (docs/studio.md):
- a name is unique per account and region; Create answers ResourceInUse for a taken one;
- the content is the script, base64-encoded, 1-16384 characters (so at most 12288 bytes of
  script); the app type is one of JupyterServer, KernelGateway, CodeEditor, JupyterLab;
- Describe and Delete answer ResourceNotFound for a missing one;
- Delete is refused (ResourceInUse) while a domain's, user profile's or space's settings list it,
  or an app that is not deleted runs it: "remove the Lifecycle Configuration from UserSettings in
  all Domains and UserProfiles" and "no running apps using it" first;
- settings list them per app (`<AppType>AppSettings.LifecycleConfigArns`, and one default,
  `DefaultResourceSpec.LifecycleConfigArn`); each must name one that exists, for that app type.
The messages are this project's words; AWS does not publish its own for these refusals.
"""
import base64
import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from ...studio import APPS

# Each app type's settings member is named after it (JupyterServer's has no custom images).
SETTING_APP_TYPE = {f"{app_type}AppSettings": app_type for app_type in APPS}
SETTINGS_MEMBERS = ("DefaultUserSettings", "DefaultSpaceSettings")


@dataclass
class StudioLifecycleConfig:
    name: str
    arn: str
    content: str                # base64, as the API takes and returns it
    app_type: str
    tags: list[dict]
    creation_time: datetime
    last_modified_time: datetime

    def summary(self) -> dict:
        return {"StudioLifecycleConfigArn": self.arn, "StudioLifecycleConfigName": self.name,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
                "StudioLifecycleConfigAppType": self.app_type}

    def describe(self) -> dict:
        return {**self.summary(), "StudioLifecycleConfigContent": self.content}

    @property
    def script(self) -> bytes:
        return base64.b64decode(self.content)


class LifecycleConfigs:
    """The StudioStore's lifecycle configs (a mixin: stores saved before they existed load)."""

    @property
    def lifecycle_configs(self) -> dict[str, StudioLifecycleConfig]:
        return self.__dict__.setdefault("_lifecycle_configs", {})

    def create_lifecycle_config(self, name: str, content: str, app_type: str,
                                tags: list[dict] | None, moment: datetime) -> StudioLifecycleConfig:
        arn = self.arn("studio-lifecycle-config", name)
        if any(c.arn == arn for c in self.lifecycle_configs.values()):
            raise ResourceInUseException(f"Studio Lifecycle Config {arn} already exists.")
        try:
            # Line breaks are allowed: `base64` wraps its output unless told not to.
            base64.b64decode("".join(content.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("StudioLifecycleConfigContent must be base64-encoded.") from None
        config = StudioLifecycleConfig(name, arn, content, app_type, list(tags or []), moment,
                                       moment)
        self.lifecycle_configs[name] = config
        return config

    def lifecycle_config(self, name: str) -> StudioLifecycleConfig:
        if name not in self.lifecycle_configs:
            raise ResourceNotFound(f"Studio Lifecycle Config "
                                   f"{self.arn('studio-lifecycle-config', name)} does not exist.")
        return self.lifecycle_configs[name]

    def lifecycle_config_of_arn(self, arn: str) -> StudioLifecycleConfig | None:
        return next((c for c in self.lifecycle_configs.values() if c.arn == arn), None)

    def delete_lifecycle_config(self, name: str, holders: Iterable, live_apps: Iterable) -> None:
        """`holders`: domains and profiles shaped as domains; `live_apps`: apps not deleted."""
        config = self.lifecycle_config(name)
        for where, arn in lifecycle_arns(holders):
            if arn == config.arn:
                raise ResourceInUseException(f"Studio Lifecycle Config {config.arn} is in use: "
                                             f"{where} lists it.")
        running = [app for app in live_apps
                   if (app.resource_spec or {}).get("LifecycleConfigArn") == config.arn]
        if running:
            raise ResourceInUseException(
                f"Studio Lifecycle Config {config.arn} is in use by app(s) "
                f"{', '.join(app.name for app in running)}; delete them first.")
        del self.lifecycle_configs[name]

    def list_lifecycle_configs(self, name_contains: str | None,
                               app_type: str | None) -> list[StudioLifecycleConfig]:
        return [c for c in self.lifecycle_configs.values()
                if (not name_contains or name_contains.lower() in c.name.lower())
                and (not app_type or c.app_type == app_type)]

    def check_app_lifecycle_config(self, app_type: str, arn: str) -> StudioLifecycleConfig:
        """CreateApp's ResourceSpec.LifecycleConfigArn: one that exists, for that app type."""
        config = self.lifecycle_config_of_arn(arn)
        if config is None:
            raise ValidationError(f"ResourceSpec.LifecycleConfigArn: Studio Lifecycle Config "
                                  f"{arn} does not exist.")
        if config.app_type != app_type:
            raise ValidationError(f"ResourceSpec.LifecycleConfigArn: Studio Lifecycle Config "
                                  f"{config.name} is for {config.app_type} apps, not {app_type}.")
        return config

    def check_lifecycle_arns(self, request: dict) -> None:
        """Every lifecycle config a settings request names exists, for that app's type."""
        for where, setting, arn in _settings_arns(request):
            config = self.lifecycle_config_of_arn(arn)
            if config is None:
                raise ValidationError(f"{where}: Studio Lifecycle Config {arn} does not exist.")
            if SETTING_APP_TYPE[setting] != config.app_type:
                raise ValidationError(
                    f"{where}: Studio Lifecycle Config {config.name} is for "
                    f"{config.app_type} apps, not {SETTING_APP_TYPE[setting]}.")


def _settings_arns(request: dict) -> Iterator[tuple[str, str, str]]:
    """(where, app settings member, ARN) for each lifecycle config ARN in a settings request."""
    for member in SETTINGS_MEMBERS:
        for setting in SETTING_APP_TYPE:
            app_settings = (request.get(member) or {}).get(setting) or {}
            for arn in app_settings.get("LifecycleConfigArns") or []:
                yield f"{member}.{setting}.LifecycleConfigArns", setting, arn
            default = (app_settings.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")
            if default:
                yield f"{member}.{setting}.DefaultResourceSpec.LifecycleConfigArn", setting, default


def lifecycle_arns(holders: Iterable) -> Iterator[tuple[str, str]]:
    """(who, ARN) for each lifecycle config the holders' settings name (domains, and profiles
    shaped as domains: `id`, `default_user_settings`, `default_space_settings`)."""
    for holder in holders:
        request = {"DefaultUserSettings": getattr(holder, "default_user_settings", None),
                   "DefaultSpaceSettings": getattr(holder, "default_space_settings", None)}
        for _, _, arn in _settings_arns(request):
            yield f"Domain {holder.id}", arn
