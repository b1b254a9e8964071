"""Settings resolved from Invoke's config (invoke.yaml, INVOKE_* variables, task flags)."""
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import PROJECT_ROOT
from .errors import UserError


@dataclass(frozen=True)
class Settings:
    images_dir: Path
    state_dir: Path
    cache_dir: Path
    base_image: str
    build_network: str | None
    extra_ca_certs: object
    debian_mirror: str | None
    local_port: int
    gateway_port: int
    home_dir: Path
    ready_timeout: float
    tcp_nodelay: bool
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
    validate_max_size_gb: float
    validate_warn_size_gb: float
    validate_space_ready_timeout: float

    @classmethod
    def from_config(cls, config) -> "Settings":
        def path(key: str, value) -> Path:
            if not isinstance(value, str) or not value:
                raise UserError(f"invoke.yaml: {key}: must be a folder path")
            p = Path(value).expanduser()
            return p if p.is_absolute() else PROJECT_ROOT / p

        build, local = config.get("build", {}), config.get("local", {})
        aws, deploy = config.get("aws", {}), config.get("deploy", {})
        validate = config.get("validate", {})
        network = build.get("network", "host")
        return cls(
            images_dir=path("images_dir", config.get("images_dir", "images")),
            state_dir=path("state_dir", config.get("state_dir", ".state")),
            cache_dir=path("cache_dir", config.get("cache_dir", ".cache")),
            base_image=str(build.get("base_image", "python:3.11-slim-bookworm")),
            build_network=None if network in (None, "", "default") else str(network),
            extra_ca_certs=build.get("extra_ca_certs", "auto"),
            debian_mirror=build.get("debian_mirror") or None,
            local_port=port("local.port", local.get("port", 8888)),
            gateway_port=port("local.gateway_port", local.get("gateway_port", 0), allow_zero=True),
            home_dir=path("local.home_dir", local.get("home_dir", ".state/home")),
            ready_timeout=_seconds("local.ready_timeout", local.get("ready_timeout", 60)),
            tcp_nodelay=_flag("local.tcp_nodelay", local.get("tcp_nodelay", True)),
            aws_region=_region(aws.get("region", "us-east-1")),
            aws_port=port("aws.port", aws.get("port", 5566)),
            registry_port=port("aws.registry_port", aws.get("registry_port", 5567)),
            repository_prefix=_prefix(aws.get("repository_prefix", "studio-containers")),
            aws_start_timeout=_seconds("aws.start_timeout", aws.get("start_timeout", 60)),
            deploy_target=str(deploy.get("target", "local")),
            deploy_stack=_stack(deploy.get("stack", "studio-containers")),
            deploy_domain_id=str(deploy.get("domain_id") or ""),
            deploy_keep_last_images=_count("deploy.keep_last_images",
                                           deploy.get("keep_last_images", 10)),
            deploy_parallelism=_count("deploy.parallelism", deploy.get("parallelism", 20)),
            deploy_aws_profile=str(deploy.get("aws_profile") or ""),
            deploy_backend=dict(deploy.get("backend") or {}),
            validate_max_size_gb=_size("validate.max_size_gb", validate.get("max_size_gb", 25)),
            validate_warn_size_gb=_size("validate.warn_size_gb", validate.get("warn_size_gb", 20)),
            validate_space_ready_timeout=_seconds("validate.space_ready_timeout",
                                                  validate.get("space_ready_timeout", 120)),
        )

    def dumps(self) -> str:
        """The resolved settings as JSON, for a process of ours that must act as the task did
        (the local AWS launching apps)."""
        return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()})

    @classmethod
    def loads(cls, text: str) -> "Settings":
        values = json.loads(text)
        return cls(**{f.name: Path(values[f.name]) if f.type in (Path, "Path") else values[f.name]
                      for f in fields(cls)})


def port(name: str, value, allow_zero: bool = False) -> int:
    """A TCP port from a flag or setting; 0 (when allowed) means any free port."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    low = 0 if allow_zero else 1
    if not low <= number <= 65535 or isinstance(value, bool):
        raise UserError(f"{name}: {value!r} is not a port; allowed: {low}-65535"
                        + (" (0 = any free port)" if allow_zero else ""))
    return number


def _region(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value):
        raise UserError(f"aws.region: {value!r} is not an AWS region name (e.g. us-east-1)")
    return value


def _prefix(value) -> str:
    # ECR repository names: lowercase path components of letters, digits, '.', '_' and '-'.
    if not isinstance(value, str) or not re.fullmatch(
            r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", value):
        raise UserError(f"aws.repository_prefix: {value!r} is not an ECR repository path "
                        "(lowercase letters, digits, '.', '_', '-', '/')")
    return value


def _stack(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}", value):
        raise UserError(f"deploy.stack: {value!r} is not a usable tag value (1-128 letters, "
                        "digits and _.:/=+-@, starting with a letter or digit)")
    return value


def _count(name: str, value) -> int:
    value = _number(value, int)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{name}: {value!r} must be a whole number of at least 1")
    return value


def _size(name: str, value) -> float:
    return _positive(name, value, "a size in GB")


def _flag(name: str, value) -> bool:
    if isinstance(value, str) and value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    if not isinstance(value, bool):
        raise UserError(f"{name}: {value!r} must be true or false")
    return value


def _seconds(name: str, value) -> float:
    return _positive(name, value, "a number of seconds")


def _positive(name: str, value, what: str) -> float:
    value = _number(value, float)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise UserError(f"{name}: {value!r} must be {what} greater than 0")
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


def keep_env_strings() -> None:
    """Lets INVOKE_* variables reach the checks above as the strings the user typed.

    Invoke casts a variable to the type of the setting it overrides: bool("false") is True, so
    INVOKE_LOCAL_TCP_NODELAY=false silently meant true, and int("abc") ended in a traceback
    before any task ran. Invoke builds its Environment loader inside Config.load_shell_env with
    no hook, hence the class attribute; the checks in Settings parse every value anyway.
    """
    from invoke.env import Environment

    def cast(self, old, new):
        return new if isinstance(old, (bool, int, float)) else original(self, old, new)

    original = Environment._cast
    if getattr(original, "_keeps_strings", False):
        return
    cast._keeps_strings = True
    Environment._cast = cast
