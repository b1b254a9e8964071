"""Lifecycle scripts (Studio lifecycle configurations): `lifecycle/<name>.sh`, the script Studio
runs each time an app starts, and `lifecycle/<name>.yaml`, which says for which apps:

    app_types: [JupyterLab]     # JupyterLab, CodeEditor, KernelGateway, JupyterServer
    default: true               # run it when an app starts without naming one (the domain's
                                # DefaultResourceSpec), else only offered (LifecycleConfigArns)

An AWS lifecycle config has one app type, so a script for several is deployed as one config per
type, named `<name>-<type>` (`<name>` alone for one). AWS cannot change a config's script, so
the deployed name ends with a digest of the script (and of the stack deploying it): a changed
script is a new config. Every check is done here, with errors that
name the file and the field: a script over the API's size (16384 base64 characters, so 12288
bytes), an app type Studio has no lifecycle configs for, an unknown field.
"""
import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError, shown
from .spec import Reader, read_yaml
from .studio import APPS, NAME_RE

SCRIPT_SUFFIX, SPEC_SUFFIX = ".sh", ".yaml"
MAX_CONTENT = 16384                         # base64 characters (the API's model)
MAX_SCRIPT_BYTES = MAX_CONTENT // 4 * 3     # 12288: what encodes to at most MAX_CONTENT
KEYS = {"app_types", "default"}
DIGEST_CHARS = 8                            # of the script's SHA-256, ending a deployed name
LIFECYCLE_APP_TYPES = tuple(APPS)           # every app Studio starts takes a lifecycle config


@dataclass(frozen=True)
class LifecycleSpec:
    name: str
    app_types: tuple[str, ...]
    default: bool
    script: Path

    @property
    def spec_file(self) -> Path:
        return self.script.with_suffix(SPEC_SUFFIX)

    @property
    def content(self) -> str:
        """The script as the API takes it: base64."""
        return base64.b64encode(self.script.read_bytes()).decode()

    def config_name(self, app_type: str) -> str:
        """The lifecycle config deployed for one of its app types."""
        return self.name if len(self.app_types) == 1 else f"{self.name}-{app_type.lower()}"

    def deployed_name(self, app_type: str, stack: str) -> str:
        """The config's name in AWS: its config name and a digest of the script and the stack
        deploying it (names are the account's: two stacks' copies of one script must differ)."""
        digest = hashlib.sha256(stack.encode() + b"\0" + self.script.read_bytes()).hexdigest()
        return f"{self.config_name(app_type)}-{digest[:DIGEST_CHARS]}"


def load_lifecycles(folder: Path) -> list[LifecycleSpec]:
    """Every lifecycle script of the folder (none when it does not exist), checked."""
    if not folder.is_dir():
        return []
    names = sorted({p.stem for p in folder.iterdir()
                    if p.suffix in (SCRIPT_SUFFIX, SPEC_SUFFIX) and not p.name.startswith(".")})
    return [load_lifecycle(folder, name) for name in names]


def offered_with(folder: Path, app_type: str) -> list[LifecycleSpec]:
    """The scripts a deploy offers with apps of this type (validation runs each in its image)."""
    return [s for s in load_lifecycles(folder) if app_type in s.app_types]


def load_lifecycle(folder: Path, name: str, flag: str = "--lifecycle") -> LifecycleSpec:
    script, spec_file = folder / f"{name}{SCRIPT_SUFFIX}", folder / f"{name}{SPEC_SUFFIX}"
    if not script.is_file() and not spec_file.is_file():
        known = sorted({p.stem for p in folder.glob(f"*{SCRIPT_SUFFIX}")}) if folder.is_dir() \
            else []
        raise UserError(f"{flag} {shown(name)}: no lifecycle script {script}; known: "
                        f"{', '.join(known) or '(none)'}")
    if not script.is_file():
        raise UserError(f"{script}: missing; {spec_file} needs the script it describes next to it")
    if not spec_file.is_file():
        raise UserError(f"{spec_file}: missing; each lifecycle script needs one, saying its "
                        "app_types (and default: true to run it at every start)")
    r = Reader(spec_file)
    data = r.mapping(read_yaml(spec_file) or {}, "(top level)", KEYS)
    if not NAME_RE.fullmatch(name):
        raise r.fail("(file name)", f"{shown(name)} must be 1-63 letters, digits or inner "
                                    "hyphens (a StudioLifecycleConfigName)")
    app_types = _app_types(r, data.get("app_types"))
    default = data.get("default", False)
    if not isinstance(default, bool):
        raise r.fail("default", f"{shown(default)} must be true or false")
    spec = LifecycleSpec(name, app_types, default, script)
    room = 63 - 1 - DIGEST_CHARS        # a deployed name is <config name>-<digest>
    too_long = [spec.config_name(t) for t in app_types if len(spec.config_name(t)) > room]
    if too_long:
        raise r.fail("app_types", f"the config name {too_long[0]!r} is over {room} characters "
                                  f"(63 with the script's digest); shorten the file name")
    size = script.stat().st_size
    if size == 0 or size > MAX_SCRIPT_BYTES:
        raise UserError(f"{script}: {size} bytes; a lifecycle script must be 1-{MAX_SCRIPT_BYTES} "
                        f"bytes ({MAX_CONTENT} characters once base64-encoded, the API's limit)")
    try:
        text = script.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{script}: byte {exc.start} is not UTF-8; a lifecycle script is shell "
                        "text (save it as UTF-8)") from None
    if "\0" in text:
        raise UserError(f"{script}: holds a NUL byte; a lifecycle script is shell text")
    return spec


def _app_types(r: Reader, value: Any) -> tuple[str, ...]:
    if value is None:
        raise r.fail("app_types", f"is required: a list of {', '.join(LIFECYCLE_APP_TYPES)}")
    if not isinstance(value, list) or not value:
        raise r.fail("app_types", f"must be a non-empty list of {', '.join(LIFECYCLE_APP_TYPES)}")
    for index, app_type in enumerate(value):
        if app_type not in LIFECYCLE_APP_TYPES:
            raise r.fail(f"app_types[{index}]", f"{shown(app_type)} is not an app Studio runs "
                                                f"lifecycle scripts for; allowed: "
                                                f"{', '.join(LIFECYCLE_APP_TYPES)}")
    if len(set(value)) != len(value):
        raise r.fail("app_types", "lists an app type twice")
    return tuple(value)
