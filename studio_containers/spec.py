"""The image spec (`images/<name>/image.yaml`): the one place each image's facts are written.

Every task reads specs through `load_spec` / `load_specs`; fields are checked against Studio's
rules (studio.py, docs/studio.md) so a bad value fails here, not minutes into a deploy.
"""
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError, shown
from .studio import (
    APP_TYPES,
    APPS,
    ARGUMENT_ITEMS,
    ARGUMENT_LENGTH,
    DEFAULT_MOUNT_PATH,
    DEFAULT_UID_GID,
    ENTRYPOINT_ITEM_LENGTH,
    ENTRYPOINT_ITEMS,
    ENVIRONMENT_ITEMS,
    ENVIRONMENT_KEY_LENGTH,
    ENVIRONMENT_VALUE_LENGTH,
    KERNEL_GATEWAY,
    MAX_ID,
    MAX_KERNELS,
    NAME_RE,
    PLATFORMS,
    SPACE_APP_TYPES,
    SPACE_HOME,
    is_reserved,
)

SPEC_FILE = "image.yaml"
# Jupyter kernelspec folder names (jupyter_client's _is_valid_kernel_name), case-insensitive.
KERNEL_NAME_RE = re.compile(r"^[a-zA-Z0-9._-]+$")
# SageMaker DisplayName: no leading/trailing whitespace.
DISPLAY_NAME_RE = re.compile(r"^\S(.*\S)?$")
COMMON_KEYS = {"name", "display_name", "app_type", "platform", "build"}
# Fields that apply to one kind of image only, and why they do not apply to the other.
KERNEL_GATEWAY_KEYS = {"kernels", "user", "mount_path"}
SPACE_KEYS = {"container_config"}
TOP_LEVEL_KEYS = COMMON_KEYS | KERNEL_GATEWAY_KEYS | SPACE_KEYS
NOT_FOR_SPACES = {
    "kernels": "a space image serves its own kernels; Studio's KernelSpecs list is for "
               f"{KERNEL_GATEWAY} images",
    "user": f"a space always runs as uid {DEFAULT_UID_GID[0]}, gid {DEFAULT_UID_GID[1]}",
    "mount_path": f"a space's home is always {SPACE_HOME}",
}
NOT_FOR_KERNEL_GATEWAY = {
    "container_config": f"Studio runs its own Kernel Gateway in a {KERNEL_GATEWAY} image; "
                        f"container_config is for {' and '.join(SPACE_APP_TYPES)} images",
}
CONTAINER_CONFIG_KEYS = {"entrypoint", "arguments", "environment"}
# The API's pattern for entrypoint and argument items and environment names: not blank.
NOT_BLANK_RE = re.compile(r"(?!\s*$).+")
BUILD_KEYS = {"args", "secrets"}
SECRET_KEYS = {"id", "file", "env"}
BUILD_ARG_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")
# Build arguments the tool sets itself: the base, and BuildKit's own switches.
RESERVED_ARGS = {"BASE_IMAGE": "the tool sets it to build.base_image; change that setting"}
RESERVED_ARG_PREFIX = "BUILDKIT_"


@dataclass(frozen=True)
class Kernel:
    name: str
    display_name: str


@dataclass(frozen=True)
class ContainerConfig:
    """How Studio starts a space image instead of its own ENTRYPOINT/CMD (AppImageConfig)."""
    entrypoint: tuple[str, ...] = ()
    arguments: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SecretSource:
    """A build secret (`RUN --mount=type=secret,id=ID`) and where its value is read from."""
    id: str
    file: Path | None       # absolute, outside the image folder
    env: str | None
    field: str              # "images/x/image.yaml: build.secrets[0]", for messages


@dataclass(frozen=True)
class BuildConfig:
    """How the image is built beyond its folder: build arguments and build secrets."""
    args: tuple[tuple[str, str], ...] = ()
    secrets: tuple[SecretSource, ...] = ()


@dataclass(frozen=True)
class ImageSpec:
    name: str
    display_name: str
    app_type: str
    platform: str
    kernels: tuple[Kernel, ...]     # KernelGateway images only
    uid: int
    gid: int
    mount_path: str                 # spaces: always SPACE_HOME
    folder: Path
    container_config: ContainerConfig | None = None     # spaces only
    build: BuildConfig = BuildConfig()

    @property
    def is_space(self) -> bool:
        return APPS[self.app_type].is_space

    @property
    def base_path(self) -> str | None:
        """Where a space image must serve its app (None for KernelGateway images)."""
        return APPS[self.app_type].base_path or None

    @property
    def spec_file(self) -> Path:
        return self.folder / SPEC_FILE

    @property
    def dockerfile(self) -> Path:
        return self.folder / "Dockerfile"

    @property
    def kernel_names(self) -> list[str]:
        return [k.name for k in self.kernels]


class Reader:
    """Reads fields of one spec file, raising errors that name the file and the field (a
    subclass may name them as another document spells them)."""

    def __init__(self, path: Path | str):
        self.path = path

    def fail(self, field: str, message: str) -> UserError:
        return UserError(f"{self.path}: {field}: {message}")

    def string(self, data: dict, key: str, field: str, default: Any = None) -> str:
        value = data.get(key, default)
        if value is None:
            raise self.fail(field, "is required")
        if not isinstance(value, str):
            raise self.fail(field, f"must be a string, got {type(value).__name__} {shown(value)}")
        return value

    def integer(self, data: dict, key: str, field: str) -> int:
        value = data.get(key)
        if value is None:
            raise self.fail(field, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"must be an integer, got {type(value).__name__} {shown(value)}")
        return value

    def mapping(self, value: Any, field: str, allowed: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(field, f"must be a mapping, got {type(value).__name__}")
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            where = f"{field}." if field != "(top level)" else ""
            raise self.fail(f"{where}{unknown[0]}",
                            f"unknown field; allowed: {', '.join(sorted(allowed))}")
        return value


def read_yaml(path: Path) -> Any:
    """A spec file's YAML (None when empty); what cannot be read is one line naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise UserError(f"{path}: (file): nested too deeply to be a spec") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}: {where}: not valid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot be read: {exc}") from None


def load_spec(folder: Path) -> ImageSpec:
    """Load and validate `folder/image.yaml`."""
    path = folder / SPEC_FILE
    r = Reader(path)
    if not path.is_file():
        raise UserError(f"{path}: spec file missing; each image folder needs an {SPEC_FILE}")
    if not (folder / "Dockerfile").is_file():
        raise UserError(f"{folder / 'Dockerfile'}: missing; each image folder needs a Dockerfile")
    data = read_yaml(path)
    if data is None:
        raise UserError(f"{path}: (file): is empty; see images/python-basic/{SPEC_FILE} for an example")
    return spec_of(data, folder, r)


def spec_of(data: Any, folder: Path, r: Reader) -> ImageSpec:
    """The spec `data` (image.yaml's mapping) says, for the image folder `folder`; every field
    checked, an error naming it as `r` does."""
    data = r.mapping(data, "(top level)", TOP_LEVEL_KEYS)

    name = r.string(data, "name", "name")
    if not NAME_RE.fullmatch(name):
        raise r.fail("name", f"{shown(name)} must be 1-63 letters, digits or inner hyphens "
                             f"(SageMaker ImageName {NAME_RE.pattern})")
    if name != folder.name:
        raise r.fail("name", f"{name!r} must equal the image folder's name {folder.name!r}")

    display_name = r.string(data, "display_name", "display_name", default=name)
    if not DISPLAY_NAME_RE.fullmatch(display_name) or len(display_name) > 128:
        raise r.fail("display_name", "must be 1-128 characters without leading or trailing spaces")

    app_type = r.string(data, "app_type", "app_type", default=APP_TYPES[0])
    if app_type not in APP_TYPES:
        raise r.fail("app_type", f"{shown(app_type)} is not supported; allowed: "
                                 f"{', '.join(APP_TYPES)}")

    platform = r.string(data, "platform", "platform", default=PLATFORMS[0])
    if platform not in PLATFORMS:
        raise r.fail("platform", f"{shown(platform)} is not supported; Studio runs "
                                 f"{', '.join(PLATFORMS)} only")

    common = dict(name=name, display_name=display_name, app_type=app_type, platform=platform,
                  folder=folder, build=_build(r, data.get("build"), folder))
    if APPS[app_type].user_configurable:
        _not_applicable(r, data, app_type, NOT_FOR_KERNEL_GATEWAY)
        uid, gid = _user(r, data.get("user"))
        return ImageSpec(**common, kernels=_kernels(r, data.get("kernels")), uid=uid, gid=gid,
                         mount_path=_mount_path(r, data.get("mount_path", DEFAULT_MOUNT_PATH)))
    _not_applicable(r, data, app_type, NOT_FOR_SPACES)
    uid, gid = DEFAULT_UID_GID
    return ImageSpec(**common, kernels=(), uid=uid, gid=gid, mount_path=SPACE_HOME,
                     container_config=_container_config(r, data.get("container_config")))


def _not_applicable(r: "Reader", data: dict, app_type: str, reasons: dict[str, str]) -> None:
    for key, why in reasons.items():
        if key in data:
            raise r.fail(key, f"does not apply to {app_type} images ({why})")


def _build(r: "Reader", value: Any, folder: Path) -> BuildConfig:
    if value is None:
        return BuildConfig()
    value = r.mapping(value, "build", BUILD_KEYS)
    args = value.get("args")
    args = {} if args is None else args
    if not isinstance(args, dict):
        raise r.fail("build.args", f"must be a mapping of NAME: value, got {type(args).__name__}")
    pairs = []
    for name, item in args.items():
        field = f"build.args.{name if isinstance(name, str) else shown(name)}"
        if not isinstance(name, str) or not BUILD_ARG_RE.fullmatch(name):
            raise r.fail(field, "a build argument's name is letters, digits and '_', not "
                                "starting with a digit")
        if name in RESERVED_ARGS or name.startswith(RESERVED_ARG_PREFIX):
            why = RESERVED_ARGS.get(name, "the builder reserves BUILDKIT_ arguments")
            raise r.fail(field, f"cannot be set here ({why})")
        if not isinstance(item, str):
            raise r.fail(field, f"must be a string, got {type(item).__name__} {shown(item)} "
                                "(quote it in the YAML: 3.10 unquoted is the number 3.1)")
        pairs.append((name, item))
    secrets = value.get("secrets")
    secrets = [] if secrets is None else secrets
    if not isinstance(secrets, list):
        raise r.fail("build.secrets", "must be a list of {id, file} or {id, env}")
    found, seen = [], set()
    for index, item in enumerate(secrets):
        field = f"build.secrets[{index}]"
        item = r.mapping(item, field, SECRET_KEYS)
        secret_id = r.string(item, "id", f"{field}.id")
        if not SECRET_ID_RE.fullmatch(secret_id):
            raise r.fail(f"{field}.id", f"{shown(secret_id)} must be 1-128 letters, digits, "
                                        "'.', '_' or '-' (the id RUN --mount=type=secret names)")
        if secret_id in seen:
            raise r.fail(f"{field}.id", f"{secret_id!r} is listed twice")
        seen.add(secret_id)
        if ("file" in item) == ("env" in item):
            raise r.fail(field, "give exactly one source: file (a path) or env (a variable name)")
        if "env" in item:
            env = r.string(item, "env", f"{field}.env")
            if not BUILD_ARG_RE.fullmatch(env):
                raise r.fail(f"{field}.env", f"{shown(env)} is not an environment variable name")
            found.append(SecretSource(secret_id, None, env, f"{r.path}: {field}"))
            continue
        raw = r.string(item, "file", f"{field}.file")
        if not raw.strip() or "\0" in raw:
            raise r.fail(f"{field}.file", "must be a file path")
        path = Path(raw).expanduser()
        path = Path(os.path.abspath(path if path.is_absolute() else folder / path))
        inside = folder.resolve()
        if path.resolve() == inside or inside in path.resolve().parents:
            raise r.fail(f"{field}.file", f"{raw} is inside the image folder, which is sent to "
                                          "the builder and hashed into the tag; keep secrets "
                                          "outside it (e.g. ~/.config/pip/pip.conf)")
        found.append(SecretSource(secret_id, path, None, f"{r.path}: {field}"))
    return BuildConfig(args=tuple(pairs), secrets=tuple(found))


def _container_config(r: "Reader", value: Any) -> ContainerConfig | None:
    if value is None:
        return None
    value = r.mapping(value, "container_config", CONTAINER_CONFIG_KEYS)
    entrypoint = _strings(r, value.get("entrypoint"), "container_config.entrypoint",
                          ENTRYPOINT_ITEMS, ENTRYPOINT_ITEM_LENGTH)
    arguments = _strings(r, value.get("arguments"), "container_config.arguments",
                         ARGUMENT_ITEMS, ARGUMENT_LENGTH)
    environment = value.get("environment")
    environment = {} if environment is None else environment
    field = "container_config.environment"
    if not isinstance(environment, dict):
        raise r.fail(field, f"must be a mapping of NAME: value, got {type(environment).__name__}")
    if len(environment) > ENVIRONMENT_ITEMS:
        raise r.fail(field, f"has {len(environment)} variables; Studio takes at most {ENVIRONMENT_ITEMS}")
    pairs = []
    for key, item in environment.items():
        where = f"{field}.{shown(key) if not isinstance(key, str) else key[:80]}"
        if not isinstance(key, str) or not NOT_BLANK_RE.fullmatch(key) or len(key) > ENVIRONMENT_KEY_LENGTH:
            raise r.fail(where, f"a variable name must be 1-{ENVIRONMENT_KEY_LENGTH} "
                                "characters, not blank")
        if not isinstance(item, str):
            raise r.fail(where, f"must be a string, got {type(item).__name__} {shown(item)} "
                                "(quote it in the YAML)")
        if len(item) > ENVIRONMENT_VALUE_LENGTH:
            raise r.fail(where, f"is {len(item)} characters; Studio takes at most "
                                f"{ENVIRONMENT_VALUE_LENGTH}")
        pairs.append((key, item))
    return ContainerConfig(entrypoint=entrypoint, arguments=arguments, environment=tuple(pairs))


def _strings(r: "Reader", value: Any, field: str, most: int, length: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise r.fail(field, f"must be a list of strings, got {type(value).__name__}")
    if len(value) > most:
        raise r.fail(field, f"has {len(value)} items; Studio takes at most {most}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not NOT_BLANK_RE.fullmatch(item) or len(item) > length:
            raise r.fail(f"{field}[{index}]", f"{shown(item)} must be a string of 1-{length} "
                                              "characters, not blank")
    return tuple(value)


def _kernels(r: Reader, value: Any) -> tuple[Kernel, ...]:
    if value is None:
        raise r.fail("kernels", "is required: a list of {name, display_name}, at least one")
    if not isinstance(value, list) or not value:
        raise r.fail("kernels", "must be a non-empty list of {name, display_name}")
    if len(value) > MAX_KERNELS:
        raise r.fail("kernels", f"has {len(value)} kernels; Studio takes at most {MAX_KERNELS} "
                                "in an AppImageConfig")
    kernels, seen = [], set()
    for i, item in enumerate(value):
        field = f"kernels[{i}]"
        item = r.mapping(item, field, {"name", "display_name"})
        name = r.string(item, "name", f"{field}.name")
        if not KERNEL_NAME_RE.fullmatch(name) or len(name) > 1024:
            raise r.fail(f"{field}.name", f"{shown(name)} must be a kernelspec name "
                                          "(letters, digits, '.', '_', '-')")
        if name.lower() in seen:
            raise r.fail(f"{field}.name", f"{name!r} is listed twice")
        seen.add(name.lower())
        display = r.string(item, "display_name", f"{field}.display_name", default=name)
        if not DISPLAY_NAME_RE.fullmatch(display) or len(display) > 1024:
            raise r.fail(f"{field}.display_name",
                         "must be 1-1024 characters without leading or trailing spaces")
        kernels.append(Kernel(name=name, display_name=display))
    return tuple(kernels)


def _user(r: Reader, value: Any) -> tuple[int, int]:
    if value is None:
        return DEFAULT_UID_GID
    value = r.mapping(value, "user", {"uid", "gid"})
    uid = r.integer(value, "uid", "user.uid")
    gid = r.integer(value, "gid", "user.gid")
    # Which pairs Studio accepts (failure class 2) is checked by `invoke validate`, which every
    # run and deploy goes through; here only what can be a UID/GID at all.
    for field, number in (("user.uid", uid), ("user.gid", gid)):
        if not 0 <= number <= MAX_ID:
            raise r.fail(field, f"{number} is not a UID/GID Studio can use (0-{MAX_ID})")
    return uid, gid


def _mount_path(r: Reader, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise r.fail("mount_path", f"must be an absolute path string, got {type(value).__name__} "
                                   f"{shown(value)}")
    if not value.startswith("/"):
        raise r.fail("mount_path", f"{shown(value)} must be an absolute path")
    normal = posixpath.normpath(value)
    if normal == "/" or len(value) > 1024 or "\0" in value:
        raise r.fail("mount_path", f"{shown(value)} must be a folder below / (at most 1024 "
                                   "characters, no NUL)")
    reserved = is_reserved(normal)
    if reserved:
        raise r.fail("mount_path", f"{shown(value)} is inside {reserved}, which Studio reserves")
    return normal


def image_folders(images_dir: Path) -> list[Path]:
    if not images_dir.is_dir():
        raise UserError(f"{images_dir}: images folder not found (setting images_dir)")
    return sorted(p for p in images_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_specs(images_dir: Path, name: str | None = None,
               flag: str = "--image") -> list[ImageSpec]:
    """All specs under images_dir, or the one named (by `flag`, a flag or setting); an unknown
    name lists the known ones."""
    folders = image_folders(images_dir)
    if name is not None:
        known = [f.name for f in folders]
        if name not in known:
            raise UserError(f"{flag} {shown(name)}: no such image under {images_dir}/; "
                            f"known: {', '.join(known) or '(none)'}")
        folders = [images_dir / name]
    if not folders:
        raise UserError(f"{images_dir}: has no image folders; add images/<name>/ with a Dockerfile and {SPEC_FILE}")
    return [load_spec(f) for f in folders]
