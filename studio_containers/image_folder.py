"""A new image folder (`invoke new`): a Dockerfile on `ARG BASE_IMAGE`, image.yaml and a README,
from the templates shipped with the tool (studio_containers/templates/, one per app type), for
defaults or for an AppImageConfig a team already has.

The templates are the shipped examples' own files (tests hold them equal), so a new folder
builds, validates and runs as those do, and shares their BuildKit cache. A folder is written
whole or not at all: into a hidden folder beside it, then renamed into place.
"""
import json
import os
import secrets
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .app_image_config import spec_data_of
from .errors import UserError, shown
from .spec import SPEC_FILE, Reader, spec_of
from .spec_yaml import spec_text
from .studio import (
    CODE_EDITOR,
    DEFAULT_MOUNT_PATH,
    DEFAULT_UID_GID,
    JUPYTER_LAB,
    KERNEL_GATEWAY,
    NAME_RE,
)

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_OF = {KERNEL_GATEWAY: "kernel-gateway", JUPYTER_LAB: "jupyterlab",
               CODE_EDITOR: "code-editor"}
NEW_APP_TYPES = tuple(TEMPLATE_OF)
DEFAULT_KERNEL = {"name": "python3", "display_name": "Python 3"}
# Template files written with a value filled in; the others are copied as they are.
FILLED = {"Dockerfile", "README.md"}


class _Filled(Template):
    delimiter = "@@"        # Dockerfiles and shell scripts are full of $ and ${}


@dataclass(frozen=True)
class NewImage:
    """What `invoke new` writes: image.yaml's data and, for the README, where it came from."""
    data: dict
    origin: str


def check_name(name: str) -> None:
    if not NAME_RE.fullmatch(name):
        raise UserError(f"NAME {shown(name)}: must be 1-63 letters, digits or inner hyphens (it "
                        f"becomes the SageMaker ImageName; {NAME_RE.pattern})")


def default_image(name: str, app_type: str) -> NewImage:
    check_name(name)
    _check_app_type(app_type)
    data = {"name": name, "display_name": name, "app_type": app_type, "platform": "linux/amd64"}
    if app_type == KERNEL_GATEWAY:
        data.update(kernels=[dict(DEFAULT_KERNEL)],
                    user={"uid": DEFAULT_UID_GID[0], "gid": DEFAULT_UID_GID[1]},
                    mount_path=DEFAULT_MOUNT_PATH)
    return NewImage(data, f"Made by `invoke new {name} --app-type {app_type}`.")


def image_from_config(name: str, path: Path, app_type: str | None = None) -> NewImage:
    """The image an AppImageConfig document (`--from FILE`) describes, named `name`."""
    check_name(name)
    if app_type is not None:
        _check_app_type(app_type)
    source = f"--from {path}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{source}: no such file (give an AppImageConfig as JSON)") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{source}: line {exc.lineno} column {exc.colno}: not valid JSON: "
                        f"{exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{source}: cannot be read: {exc}") from None
    data = spec_data_of(document, source, name=name)
    if app_type is not None and app_type != data["app_type"]:
        raise UserError(f"--app-type {app_type}: {path} holds a {data['app_type']} "
                        f"AppImageConfig; leave --app-type out or give {data['app_type']}")
    if data["app_type"] not in TEMPLATE_OF:
        raise UserError(f"{source}: {data['app_type']}: invoke new makes "
                        f"{', '.join(NEW_APP_TYPES)} images only")
    config = document.get("AppImageConfigName")
    named = f" `{config}`" if isinstance(config, str) else ""
    return NewImage(data, f"Made by `invoke new {name} --from {path.name}` from the "
                          f"AppImageConfig{named}.{_config_note(data)}")


def make_folder(images_dir: Path, new: NewImage) -> Path:
    """images_dir/NAME with the Dockerfile, image.yaml, README and the template's other files;
    an existing folder is never touched."""
    name = new.data["name"]
    check_free(images_dir, name)
    spec_of(new.data, Path(name), Reader(SPEC_FILE))    # what is written must load
    return write_folder(images_dir, name, folder_files(new))


def check_free(images_dir: Path, name: str) -> None:
    target = images_dir / name
    if target.exists() or target.is_symlink():
        raise UserError(f"{target}: already exists; a folder is never written into once it "
                        "exists (choose another name, or remove that folder first)")


def write_folder(images_dir: Path, name: str, files: list[tuple[str, str, int]]) -> Path:
    """images_dir/name holding `files` (name, text, mode), all of them or none."""
    check_free(images_dir, name)
    target = images_dir / name
    images_dir.mkdir(parents=True, exist_ok=True)
    staging = images_dir / f".new-{name}-{secrets.token_hex(4)}"
    try:
        staging.mkdir()
        for relative, text, mode in files:
            path = staging / relative
            path.write_text(text, encoding="utf-8")
            path.chmod(mode)
        os.rename(staging, target)      # fails, leaving target alone, if it appeared meanwhile
    except OSError as exc:
        raise UserError(f"{target}: cannot be written: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def folder_files(new: NewImage) -> list[tuple[str, str, int]]:
    """(file name, text, mode) of each file of the folder."""
    data = new.data
    template = TEMPLATES / TEMPLATE_OF[data["app_type"]]
    values = {"name": data["name"], "origin": new.origin, **_values(data)}
    files = [(SPEC_FILE, spec_text(data), 0o644)]
    for path in sorted(template.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.name in FILLED:
            text = _Filled(text).substitute(values)
        files.append((path.name, text, path.stat().st_mode & 0o777))
    return files


def _values(data: dict) -> dict:
    """What the app type's templates fill in, besides the name and origin."""
    if data["app_type"] != KERNEL_GATEWAY:
        return {}
    uid, gid = data["user"]["uid"], data["user"]["gid"]
    mount = data["mount_path"]
    kernels = data["kernels"]
    return {
        "uid": uid, "gid": gid, "mount_path": mount,
        "kernel_list": ", ".join(f"`{k['name']}`" for k in kernels),
        "user": _user_block(uid, gid, mount),
        "user_ids": "0:0" if uid == 0 else "${NB_UID}:${NB_GID}",
        "home": mount,
        "kernels": "\n".join(
            f"    && python -m ipykernel install --sys-prefix --name {k['name']} "
            f"--display-name {_quoted(k.get('display_name', k['name']))} \\" for k in kernels),
    }


def _user_block(uid: int, gid: int, mount: str) -> str:
    if (uid, gid) == (0, 0):
        return ("# Studio runs this image as root (uid 0, gid 0), as image.yaml's user says, with "
                f"the\n# home mounted at {mount}.\n")
    home = "" if mount == DEFAULT_MOUNT_PATH else f" --home-dir {shlex.quote(mount)}"
    return ("ARG NB_USER=sagemaker-user\n"
            f"ARG NB_UID={uid}\n"
            f"ARG NB_GID={gid}\n\n"
            f"# Studio's default user for KernelGateway images: UID {uid}, GID {gid} "
            "(the \"users\" group).\n"
            f"RUN useradd --create-home{home} --shell /bin/bash --uid \"$NB_UID\" "
            "--gid \"$NB_GID\" \"$NB_USER\" \\\n"
            "    && install -d -o \"$NB_UID\" -g \"$NB_GID\" /opt/venv\n")


def _quoted(text: str) -> str:
    """A shell word in a RUN line; double quotes, as people write them, where they are enough."""
    if not any(c in text for c in '"$`\\!\n'):
        return f'"{text}"'
    return shlex.quote(text)


def _config_note(data: dict) -> str:
    if data["app_type"] == KERNEL_GATEWAY:
        return (" Its kernels are registered in this Dockerfile as Python kernels (ipykernel) "
                "under the config's names; if they are another language's, install that "
                "kernel under the same name instead.")
    if data.get("container_config"):
        return (" Its ContainerConfig is in image.yaml's container_config: Studio starts the "
                "app with it, so what it names must be in the image.")
    return ""


def _check_app_type(app_type: str) -> None:
    if app_type not in TEMPLATE_OF:
        raise UserError(f"--app-type {shown(app_type)}: not one invoke new makes; allowed: "
                        f"{', '.join(NEW_APP_TYPES)}")
