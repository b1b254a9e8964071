"""An image's spec and its AppImageConfig, both ways.

`config_of(spec)` is the AppImageConfig member the deploy makes for a spec. `spec_data_of(document)`
reads an AppImageConfig a team already has, as the API spells it: the input of
`aws sagemaker create-app-image-config` (`--cli-input-json`) or the output of
`describe-app-image-config`. It returns image.yaml's fields, every value checked by spec.py's own
checks, and errors that name the document's field. Whatever image.yaml cannot hold is refused by
name, never dropped: a FileSystemConfig on a space other than Studio's fixed one, an unknown
member, more than one app's config. What is the deployment's, not the image's (tags, ARN, times)
is left out.
"""
import re
from pathlib import Path
from typing import Any

from .errors import UserError, shown
from .spec import ImageSpec, Reader, spec_of
from .studio import (
    APP_IMAGE_CONFIG_KIND,
    APPS,
    DEFAULT_MOUNT_PATH,
    DEFAULT_UID_GID,
    KERNEL_GATEWAY,
    SPACE_HOME,
)

NAME = "AppImageConfigName"
# Members of CreateAppImageConfig's input and DescribeAppImageConfig's output that are not the
# image's: what the deployment adds, and what the API answers with.
DEPLOYMENT_MEMBERS = {"Tags", "AppImageConfigArn", "CreationTime", "LastModifiedTime",
                      "ResponseMetadata"}
FILE_SYSTEM = {"MountPath": "mount_path", "DefaultUid": "user.uid", "DefaultGid": "user.gid"}
CONTAINER = {"ContainerEntrypoint": "entrypoint", "ContainerArguments": "arguments",
             "ContainerEnvironmentVariables": "environment"}
KERNEL_SPEC = {"Name": "name", "DisplayName": "display_name"}


def config_of(spec: ImageSpec) -> dict:
    """{KernelGatewayImageConfig | JupyterLabAppImageConfig | CodeEditorAppImageConfig: {…}}."""
    kind = APP_IMAGE_CONFIG_KIND[spec.app_type]
    if not spec.is_space:
        return {kind: {
            "KernelSpecs": [{"Name": k.name, "DisplayName": k.display_name} for k in spec.kernels],
            "FileSystemConfig": {"MountPath": spec.mount_path, "DefaultUid": spec.uid,
                                 "DefaultGid": spec.gid}}}
    config = spec.container_config
    container = {}
    if config is not None:
        container = {key: value for key, value in (
            ("ContainerEntrypoint", list(config.entrypoint)),
            ("ContainerArguments", list(config.arguments)),
            ("ContainerEnvironmentVariables", dict(config.environment))) if value}
    return {kind: {"ContainerConfig": container} if container else {}}


class _ConfigReader(Reader):
    """spec.py's checks, with each field named as the AppImageConfig spells it."""

    def __init__(self, path: str, kind: str):
        super().__init__(path)
        self.kind = kind

    def fail(self, field: str, message: str) -> UserError:
        return UserError(f"{self.path}: {self.spelled(field)}: {message}")

    def spelled(self, field: str) -> str:
        if field == "name":
            return NAME
        if field in ("kernels", "(top level)"):
            return f"{self.kind}.KernelSpecs" if field == "kernels" else self.kind
        found = re.fullmatch(r"kernels\[(\d+)\](?:\.(\w+))?", field)
        if found:
            member = {v: k for k, v in KERNEL_SPEC.items()}.get(found[2] or "", "")
            return f"{self.kind}.KernelSpecs[{found[1]}]" + (f".{member}" if member else "")
        for member, ours in FILE_SYSTEM.items():
            if field == ours:
                return f"{self.kind}.FileSystemConfig.{member}"
        for member, ours in CONTAINER.items():
            prefix = f"container_config.{ours}"
            if field.startswith(prefix):
                return f"{self.kind}.ContainerConfig.{member}{field[len(prefix):]}"
        if field.startswith("container_config"):
            return f"{self.kind}.ContainerConfig{field[len('container_config'):]}"
        return field


def spec_data_of(document: Any, source: str, name: str | None = None) -> dict:
    """image.yaml's fields for the AppImageConfig `document` (read from `source`, named in
    errors); `name`: the image's, when not the config's own AppImageConfigName."""
    if not isinstance(document, dict):
        raise UserError(f"{source}: (top level): must be a JSON object (an AppImageConfig), "
                        f"got {type(document).__name__}")
    kinds = {member: app_type for app_type, member in APP_IMAGE_CONFIG_KIND.items()}
    unknown = sorted(set(map(str, document)) - {NAME, *DEPLOYMENT_MEMBERS, *kinds})
    if unknown:
        raise UserError(f"{source}: {unknown[0]}: not a member of an AppImageConfig; allowed: "
                        f"{', '.join(sorted({NAME, *kinds, 'Tags'}))}")
    present = [member for member in kinds if document.get(member) is not None]
    if len(present) != 1:
        raise UserError(f"{source}: (top level): needs exactly one of {', '.join(kinds)}, "
                        f"found {', '.join(present) or 'none'}")
    kind = present[0]
    app_type = kinds[kind]
    reader = _ConfigReader(source, kind)
    image_name = name or document.get(NAME)
    if image_name is None:
        raise reader.fail("name", "is required (or give the image's name)")
    member = reader.mapping(document[kind], kind, set(_MEMBERS[app_type]))
    data = {"name": image_name, "display_name": image_name, "app_type": app_type,
            "platform": "linux/amd64"}
    data.update(_MEMBERS_READ[app_type](reader, kind, member))
    spec_of(data, Path(str(image_name)), reader)     # every value checked as image.yaml's
    return data


def _file_system(reader: _ConfigReader, kind: str, member: dict) -> dict:
    value = member.get("FileSystemConfig")
    if value is None:
        return {}
    return reader.mapping(value, f"{kind}.FileSystemConfig", set(FILE_SYSTEM))


def _kernel_gateway(reader: _ConfigReader, kind: str, member: dict) -> dict:
    specs = member.get("KernelSpecs")
    if not isinstance(specs, list):
        raise reader.fail("kernels", "is required: a list of {Name, DisplayName}, at least one")
    kernels = []
    for index, spec in enumerate(specs):
        spec = reader.mapping(spec, f"{kind}.KernelSpecs[{index}]", set(KERNEL_SPEC))
        kernels.append({ours: spec[member] for member, ours in KERNEL_SPEC.items()
                        if spec.get(member) is not None})
    fs = _file_system(reader, kind, member)
    return {"kernels": kernels,
            "user": {"uid": fs.get("DefaultUid", DEFAULT_UID_GID[0]),
                     "gid": fs.get("DefaultGid", DEFAULT_UID_GID[1])},
            "mount_path": fs.get("MountPath", DEFAULT_MOUNT_PATH)}


def _space(reader: _ConfigReader, kind: str, member: dict) -> dict:
    fs = _file_system(reader, kind, member)
    fixed = {"MountPath": SPACE_HOME, "DefaultUid": DEFAULT_UID_GID[0],
             "DefaultGid": DEFAULT_UID_GID[1]}
    for key, value in fs.items():
        if value != fixed[key]:
            raise reader.fail(FILE_SYSTEM[key], f"{shown(value)}: image.yaml cannot hold it; a "
                              f"space's home is always {SPACE_HOME}, as uid "
                              f"{fixed['DefaultUid']}, gid {fixed['DefaultGid']}")
    container = member.get("ContainerConfig")
    if container is None:
        return {}
    container = reader.mapping(container, f"{kind}.ContainerConfig", set(CONTAINER))
    config = {ours: container[member] for member, ours in CONTAINER.items()
              if container.get(member)}
    return {"container_config": config} if config else {}


_MEMBERS = {KERNEL_GATEWAY: ("KernelSpecs", "FileSystemConfig")}
_MEMBERS_READ = {KERNEL_GATEWAY: _kernel_gateway}
for _app_type in APP_IMAGE_CONFIG_KIND:
    if APPS[_app_type].is_space:
        _MEMBERS[_app_type] = ("FileSystemConfig", "ContainerConfig")
        _MEMBERS_READ[_app_type] = _space
