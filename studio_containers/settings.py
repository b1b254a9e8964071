"""Settings resolved from Invoke's config (invoke.yaml, INVOKE_* variables, task flags).

The project's invoke.yaml is the one place a setting's default is written: a setting no source
gives takes invoke.yaml's value (FIELDS below lists every setting and its check)."""
import functools
import json
import math
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import PROJECT_ROOT
from .errors import UserError, shown
from .studio import AppNetworkAccess

# What build.builder and local.network may be; the build and the runtime read their names here.
BUILDER_CHOICES = ("auto", "buildkit", "legacy")
NETWORK_CHOICES = ("auto", "bridge", "host", "slirp4netns")

TARGETS = ("local", "aws")      # where `up` deploys (deploy/targets.py)
DEFAULTS_FILE = PROJECT_ROOT / "invoke.yaml"


@dataclass(frozen=True)
class Settings:
    images_dir: Path
    lifecycle_dir: Path
    state_dir: Path
    cache_dir: Path
    base_image: str
    build_network: str | None
    extra_ca_certs: object
    debian_mirror: str | None
    builder: str
    registry_mirror: str | None
    registry_cache: bool
    local_image: str | None
    local_port: int
    gateway_port: int
    home_dir: Path
    ready_timeout: float
    tcp_nodelay: bool
    local_network: str
    local_network_access: str
    aws_region: str
    aws_port: int
    registry_port: int
    repository_prefix: str
    aws_start_timeout: float
    deploy_target: str
    deploy_stack: str
    deploy_domain_id: str
    deploy_keep_last_images: int
    deploy_parallelism: int
    deploy_aws_profile: str
    deploy_backend: dict
    deploy_endpoint_url: str
    deploy_lock_timeout: float
    validate_max_size_gb: float
    validate_warn_size_gb: float
    validate_space_ready_timeout: float
    lifecycle_timeout: float

    @classmethod
    def from_config(cls, config) -> "Settings":
        sections = {name: _section(config, name) for name in SECTIONS}
        values = {}
        for name, key, check in FIELDS:
            section, _, leaf = key.rpartition(".")
            value = (sections[section] if section else config).get(leaf, _MISSING)
            values[name] = check(key, default(key) if value is _MISSING else value)
        _check_together(values)
        return cls(**values)

    def dumps(self) -> str:
        """The resolved settings as JSON, for a process of ours that must act as the task did
        (the local AWS launching apps)."""
        return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()})

    @classmethod
    def loads(cls, text: str) -> "Settings":
        values = json.loads(text)
        return cls(**{f.name: Path(values[f.name]) if f.type in (Path, "Path") else values[f.name]
                      for f in fields(cls)})


def _section(config, name: str):
    from invoke.config import DataProxy
    value = config.get(name)
    if value is None:
        return {}
    if not isinstance(value, (dict, DataProxy)):
        raise UserError(f"{name}: must be a section of settings ({name}.<setting>: value), "
                        f"got {type(value).__name__} {shown(value)}")
    return value


_MISSING = object()


@functools.cache
def _defaults() -> dict:
    import yaml
    return yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))


def default(key: str):
    """invoke.yaml's value of the setting `key` (dotted): the one place defaults are written."""
    value = _defaults()
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            # A setting of FIELDS that invoke.yaml does not list: a bug of ours, not the user's.
            raise LookupError(f"{key}: a setting without a default in {DEFAULTS_FILE}")
        value = value[part]
    return value


def _check_together(values: dict) -> None:
    """Checks of one setting against another, once each is valid on its own."""
    if values["registry_port"] == values["aws_port"]:
        raise UserError(f"aws.registry_port: {values['registry_port']} is aws.port too; the API "
                        "and the registry need a port each")
    warn, limit = values["validate_warn_size_gb"], values["validate_max_size_gb"]
    if warn > limit:
        raise UserError(f"validate.warn_size_gb: {warn:g} is above validate.max_size_gb "
                        f"({limit:g}); the warning must come at or below the limit")


def _path(key: str, value) -> Path:
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise UserError(f"{key}: {shown(value)} must be a folder path")
    p = Path(value).expanduser()
    p = p if p.is_absolute() else PROJECT_ROOT / p
    if p.exists() and not p.is_dir():
        raise UserError(f"{key}: {p} is a file, not a folder")
    return p


# A Docker image reference: [registry[:port]/]path[:tag][@digest], path components lowercase.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_REGISTRY = rf"(?:{_LABEL}(?:\.{_LABEL})*(?::\d+)?/)?"
IMAGE_REFERENCE_RE = re.compile(
    rf"{_REGISTRY}{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?", re.ASCII)


def _image_reference(key: str, value) -> str:
    if not isinstance(value, str) or not IMAGE_REFERENCE_RE.fullmatch(value):
        raise UserError(f"{key}: {shown(value)} is not an image reference "
                        "(e.g. python:3.11-slim-bookworm or registry:5000/team/base:1)")
    return value


def _network(key: str, value) -> str | None:
    if value in (None, "", "default"):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.:-]*", value,
                                                       re.ASCII):
        raise UserError(f"{key}: {shown(value)} is not a Docker network name (host, "
                        "default, or the name of a network)")
    return value


def _certs(key: str, value):
    if value == "auto":
        return value
    from .certs import extra_ca_certs
    extra_ca_certs(value)       # each file must exist and hold a certificate, before any work
    return value


def _mirror(key: str, value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"(https?|ftp|file)://\S+", value, re.ASCII):
        raise UserError(f"{key}: {shown(value)} is not a mirror URL "
                        "(e.g. http://deb.debian.org/debian), or empty for apt's own")
    return value


def _builder(key: str, value) -> str:
    if value not in BUILDER_CHOICES:
        raise UserError(f"{key}: {shown(value)} is not a builder; allowed: "
                        f"{', '.join(BUILDER_CHOICES)} (auto: BuildKit where this machine's Docker "
                        "has it, else the legacy builder)")
    return value


def _registry_mirror(key: str, value) -> str | None:
    if value in (None, ""):
        return None
    # A registry host, optionally a path below it: mirror.example.com, registry:5000/dockerhub.
    if not isinstance(value, str) or not re.fullmatch(
            rf"{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?(?:/{_COMPONENT})*/?", value, re.ASCII):
        raise UserError(f"{key}: {shown(value)} is not a registry (host[:port]"
                        "[/path], e.g. mirror.example.com/dockerhub), or empty for none")
    return value.rstrip("/")


def _target(key: str, value) -> str:
    if value not in TARGETS:
        raise UserError(f"{key}: {shown(value)} is not a target; allowed: "
                        f"{', '.join(TARGETS)}")
    return value


def _domain_id(key: str, value) -> str:
    if value in (None, ""):
        return ""
    # SageMaker's DomainId pattern.
    if not isinstance(value, str) or not re.fullmatch(r"d-(-*[a-z0-9]){1,61}", value):
        raise UserError(f"{key}: {shown(value)} is not a Studio domain id "
                        "(d- and lowercase letters or digits, e.g. d-xxxxxxxxxxxx)")
    return value


def _profile(key: str, value) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"\S+", value):
        raise UserError(f"{key}: {shown(value)} is not an AWS profile name (one "
                        "word, as in ~/.aws/config), or empty for the default credential chain")
    return value


def _backend(key: str, value) -> dict:
    if value is None:
        return {}
    from invoke.config import DataProxy
    if not isinstance(value, (dict, DataProxy)):
        raise UserError(f"{key}: must be a mapping (bucket, key, region, "
                        f"dynamodb_table), got {type(value).__name__} {shown(value)}")
    for name, item in value.items():
        if not isinstance(name, str) or not isinstance(item, (str, int, bool, type(None))):
            raise UserError(f"{key}.{name}: {shown(item)} must be a single value "
                            "(Terraform's S3 backend settings are strings)")
    return dict(value)


def _endpoint_url(key: str, value) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?/?", value):
        raise UserError(f"{key}: {shown(value)} is not an endpoint URL "
                        "(http(s)://host[:port], e.g. a shared local AWS), or empty for AWS itself")
    return value.rstrip("/")


def port(name: str, value, allow_zero: bool = False) -> int:
    """A TCP port from a flag or setting; 0 (when allowed) means any free port."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    low = 0 if allow_zero else 1
    if not low <= number <= 65535 or isinstance(value, (bool, float)):
        raise UserError(f"{name}: {shown(value)} is not a port; allowed: {low}-65535"
                        + (" (0 = any free port)" if allow_zero else ""))
    return number


def _region(key: str, value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]", value):
        raise UserError(f"{key}: {shown(value)} is not an AWS region name (e.g. us-east-1)")
    return value


def _prefix(key: str, value) -> str:
    # ECR repository names: lowercase path components of letters, digits, '.', '_' and '-'.
    if not isinstance(value, str) or not re.fullmatch(
            r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", value):
        raise UserError(f"{key}: {shown(value)} is not an ECR repository path "
                        "(lowercase letters, digits, '.', '_', '-', '/')")
    return value


def _stack(key: str, value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}", value):
        raise UserError(f"{key}: {shown(value)} is not a usable tag value (1-128 letters, "
                        "digits and _.:/=+-@, starting with a letter or digit)")
    return value


def _count(name: str, value) -> int:
    value = _number(value, int)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{name}: {shown(value)} must be a whole number of at least 1")
    return value


def _size(name: str, value) -> float:
    return _positive(name, value, "a size in GB")


def _flag(name: str, value) -> bool:
    if isinstance(value, str) and value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    if not isinstance(value, bool):
        raise UserError(f"{name}: {shown(value)} must be true or false")
    return value


def _local_image(key: str, value) -> str | None:
    """The image `invoke local` runs without --image; None: the only image (load_specs)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise UserError(f"{key}: {shown(value)} must be an image folder name, or empty for the "
                        "only image")
    return value


def _app_network(key: str, value) -> str:
    if value not in NETWORK_CHOICES:
        raise UserError(f"{key}: {shown(value)} must be one of {', '.join(NETWORK_CHOICES)}")
    return value


def _network_access(key: str, value) -> str:
    if value not in tuple(AppNetworkAccess):
        raise UserError(f"{key}: {shown(value)} must be one of "
                        f"{', '.join(AppNetworkAccess)} (Studio's AppNetworkAccessType)")
    return value


def _seconds(name: str, value) -> float:
    return _positive(name, value, "a number of seconds")


def _positive(name: str, value, what: str) -> float:
    value = _number(value, float)
    # NaN compares false with everything: a NaN size limit would let every image pass.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UserError(f"{name}: {shown(value)} must be {what} greater than 0")
    if not math.isfinite(value):
        raise UserError(f"{name}: {shown(value)} must be a finite number ({what})")
    return float(value)


def _number(value, kind):
    """INVOKE_* variables arrive as strings (see keep_env_strings); numbers in YAML do not."""
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            return value
    return value


TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}

# Every setting: its Settings field, its key (dotted: section.setting) and its check, which takes
# (key, value) and returns the value Settings holds. Its default is invoke.yaml's value.
FIELDS = (
    ("images_dir", "images_dir", _path),
    ("lifecycle_dir", "lifecycle_dir", _path),
    ("state_dir", "state_dir", _path),
    ("cache_dir", "cache_dir", _path),
    ("base_image", "build.base_image", _image_reference),
    ("build_network", "build.network", _network),
    ("extra_ca_certs", "build.extra_ca_certs", _certs),
    ("debian_mirror", "build.debian_mirror", _mirror),
    ("builder", "build.builder", _builder),
    ("registry_mirror", "build.registry_mirror", _registry_mirror),
    ("registry_cache", "build.registry_cache", _flag),
    ("local_image", "local.image", _local_image),
    ("local_port", "local.port", port),
    ("gateway_port", "local.gateway_port", functools.partial(port, allow_zero=True)),
    ("home_dir", "local.home_dir", _path),
    ("ready_timeout", "local.ready_timeout", _seconds),
    ("tcp_nodelay", "local.tcp_nodelay", _flag),
    ("local_network", "local.network", _app_network),
    ("local_network_access", "local.network_access", _network_access),
    ("aws_region", "aws.region", _region),
    ("aws_port", "aws.port", port),
    ("registry_port", "aws.registry_port", port),
    ("repository_prefix", "aws.repository_prefix", _prefix),
    ("aws_start_timeout", "aws.start_timeout", _seconds),
    ("deploy_target", "deploy.target", _target),
    ("deploy_stack", "deploy.stack", _stack),
    ("deploy_domain_id", "deploy.domain_id", _domain_id),
    ("deploy_keep_last_images", "deploy.keep_last_images", _count),
    ("deploy_parallelism", "deploy.parallelism", _count),
    ("deploy_aws_profile", "deploy.aws_profile", _profile),
    ("deploy_backend", "deploy.backend", _backend),
    ("deploy_endpoint_url", "deploy.endpoint_url", _endpoint_url),
    ("deploy_lock_timeout", "deploy.lock_timeout", _seconds),
    ("validate_max_size_gb", "validate.max_size_gb", _size),
    ("validate_warn_size_gb", "validate.warn_size_gb", _size),
    ("validate_space_ready_timeout", "validate.space_ready_timeout", _seconds),
    ("lifecycle_timeout", "validate.lifecycle_timeout", _seconds),
)
KEYS = tuple(key for _, key, _ in FIELDS)
SECTIONS = tuple(dict.fromkeys(key.partition(".")[0] for key in KEYS if "." in key))


def keep_env_strings() -> None:
    """Lets INVOKE_* variables reach the checks above as the strings the user typed.

    Invoke casts a variable to the type of the setting it overrides: bool("false") is True, so
    INVOKE_LOCAL_TCP_NODELAY=false silently meant true, and int("abc") ended in a traceback
    before any task ran, as did any variable for a setting a file gives as a list
    (INVOKE_BUILD_EXTRA_CA_CERTS over a list of PEM files). Invoke builds its Environment loader
    inside Config.load_shell_env with no hook, hence the class attribute; the checks in
    Settings parse every value anyway.
    """
    from invoke.env import Environment

    def cast(self, old, new):
        return new

    if getattr(Environment._cast, "_keeps_strings", False):
        return
    cast._keeps_strings = True
    Environment._cast = cast


def check_settings_files() -> None:
    """Lets a settings file Invoke cannot read or merge end as one line naming it.

    The project's invoke.yaml and a file given with `-f` (or INVOKE_RUNTIME_CONFIG) are read by
    Invoke before any task runs: YAML it cannot parse, bytes that are not UTF-8, a list where
    settings belong, or a section given as a single value (`local: 5`, which Invoke cannot merge
    with the `local:` of invoke.yaml) ended in a traceback, and a `-f` file that does not exist
    was silently skipped. A key that names no setting (a typo: `local: {prot: 1}`) was ignored:
    it is refused, in those files and in the user's and the system's (~/.invoke.yaml,
    /etc/invoke.yaml, read before tasks.py: checked with the project's file). Invoke reads both
    files after loading tasks.py, with no hook, hence the wrapped methods; values are checked by
    Settings as for every other source.
    """
    from invoke.config import Config
    from invoke.exceptions import Exit

    if getattr(Config.load_runtime, "_checks_files", False):
        return
    original_project, original_runtime = Config.load_project, Config.load_runtime

    def refuse(message: str) -> Exit:
        return Exit(f"error: {message}", code=1)

    def load(self, original, kind: str, shown_path: str, merge: bool) -> None:
        from invoke.exceptions import UnknownFileType
        from invoke.util import yaml  # Invoke's own (vendored or not): its errors are its own
        try:
            original(self, merge=False)
        except yaml.YAMLError as exc:
            raise refuse(f"{shown_path}: {_yaml_problem(exc)}") from None
        except (OSError, UnicodeDecodeError, ValueError, UnknownFileType) as exc:
            raise refuse(f"{shown_path}: cannot be read: {str(exc).splitlines()[0]}") from None
        except RecursionError:
            raise refuse(f"{shown_path}: nested too deeply to be a settings file") from None
        data = getattr(self, f"_{kind}")
        if _expands_beyond(data, SETTINGS_FILE_VALUES):
            # Invoke prints each file's data (as debug text, always formatted) when it merges:
            # YAML aliases that nest lists of lists would take it hours, and all memory.
            raise refuse(f"{shown_path}: holds more than {SETTINGS_FILE_VALUES} values once its "
                         "YAML aliases are expanded; a settings file is a few lines")
        if data is None:
            self._set(f"_{kind}", {})
        elif not isinstance(data, dict):
            raise refuse(f"{shown_path}: must be a mapping of settings (as in invoke.yaml), got "
                         f"{type(data).__name__}")
        else:
            problem = _shape_clash(self._config, data, "") or _unknown_key(data)
            if problem:
                raise refuse(f"{shown_path}: {problem}")
        if merge:
            self.merge()

    def load_project(self, merge: bool = True) -> None:
        for kind in ("system", "user"):     # loaded as Invoke started, before tasks.py
            data, path = getattr(self, f"_{kind}"), getattr(self, f"_{kind}_path")
            problem = isinstance(data, dict) and _unknown_key(data, shared=True)
            if problem:
                raise refuse(f"{path}: {problem}")
        prefix = self._project_prefix
        found = [f"{prefix}invoke.{suffix}" for suffix in self._file_suffixes
                 if prefix and os.path.isfile(f"{prefix}invoke.{suffix}")]
        load(self, original_project, "project", found[0] if found else "invoke.yaml", merge)

    def load_runtime(self, merge: bool = True) -> None:
        path = self._runtime_path
        if path is not None and not os.path.isfile(os.path.expanduser(path)):
            raise refuse(f"-f {path}: no such settings file")
        load(self, original_runtime, "runtime", str(path), merge)

    load_runtime._checks_files = True
    Config.load_project, Config.load_runtime = load_project, load_runtime


SETTINGS_FILE_VALUES = 100_000


def _expands_beyond(data, budget: int) -> bool:
    """Whether `data`, each alias counted as a copy (as printing it does), has more values."""
    stack = [data]
    while stack:
        budget -= 1
        if budget < 0:
            return True
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            stack.extend(value)
    return False


def _yaml_problem(exc) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{f'line {mark.line + 1}' if mark else '(file)'}: not valid YAML: {problem}"


def _unknown_key(data: dict, shared: bool = False) -> str | None:
    """A key of a settings file that names no setting, with what its section allows. Invoke's
    own sections are Invoke's to check; a shared file (~/.invoke.yaml, /etc/invoke.yaml) may
    hold other projects' sections, so only this project's are checked there."""
    from invoke.config import Config
    invoke_own = sorted(Config.global_defaults())
    top = sorted({key.partition(".")[0] for key in KEYS})
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            allowed = sorted(k.partition(".")[2] for k in KEYS if k.startswith(f"{key}."))
            unknown = [name for name in value if name not in allowed]
            if unknown:
                return f"{key}.{unknown[0]}: unknown setting; allowed: {', '.join(allowed)}"
        elif not shared and key not in top and key not in invoke_own:
            return (f"{key}: unknown setting; allowed: {', '.join(top)} (and Invoke's own: "
                    f"{', '.join(invoke_own)})")
    return None


def _shape_clash(base: dict, update: dict, prefix: str) -> str | None:
    """Where `update` gives a single value for a section of `base`, or a section for a value."""
    for key, value in update.items():
        name = f"{prefix}{key}"
        if key not in base:
            continue
        if isinstance(base[key], dict) and not isinstance(value, dict):
            return (f"{name}: must be a section of settings ({name}.<setting>: value), got "
                    f"{type(value).__name__} {shown(value)}")
        if isinstance(value, dict) and not isinstance(base[key], dict):
            return f"{name}: must be a single value, not a section ({shown(value)})"
        if isinstance(value, dict):
            clash = _shape_clash(base[key], value, f"{name}.")
            if clash:
                return clash
    return None
