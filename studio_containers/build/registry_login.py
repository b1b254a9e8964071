"""Registry logins handed to the docker CLI for one build (a `--cache-from` image in ECR).

BuildKit asks the CLI that started the build for credentials, and the CLI reads them from its
config folder. The login goes into a private copy of the user's docker config, used for that
one build and then deleted: nothing is written to the user's own config, and the password is
never on a command line.
"""
import base64
import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..files import write_private

# Folders of the user's config the CLI still needs: its plugins (buildx) and buildx's state.
SHARED_FOLDERS = ("cli-plugins", "buildx")


@dataclass(frozen=True)
class RegistryLogin:
    registry: str       # host[:port], as image references name it
    username: str
    password: str

    def __repr__(self) -> str:      # never the password, in a log or a traceback
        return f"RegistryLogin(registry={self.registry!r}, username={self.username!r})"


def user_config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


@contextlib.contextmanager
def docker_config(logins: list[RegistryLogin], user_dir: Path | None = None) -> Iterator[dict]:
    """Environment additions for a docker CLI that should hold `logins` (none: nothing)."""
    if not logins:
        yield {}
        return
    user_dir = user_dir or user_config_dir()
    try:
        config = json.loads((user_dir / "config.json").read_text())
        config = config if isinstance(config, dict) else {}
    except (OSError, ValueError):
        config = {}
    auths = dict(config.get("auths") or {})
    helpers = dict(config.get("credHelpers") or {})
    for login in logins:
        auths[login.registry] = {"auth": base64.b64encode(
            f"{login.username}:{login.password}".encode()).decode()}
        helpers.pop(login.registry, None)
    # A credential store would be asked instead of `auths`, and it does not hold these logins:
    # it stays the helper of each registry the user logged in to (those `auths` lists).
    store = config.pop("credsStore", None)
    ours = {login.registry for login in logins}
    for registry in (config.get("auths") or {}) if store else ():
        if registry not in ours:
            helpers.setdefault(registry, store)
    config.update(auths=auths, credHelpers=helpers)
    folder = Path(tempfile.mkdtemp(prefix="studio-containers-docker-config-"))
    try:
        for name in SHARED_FOLDERS:
            if (user_dir / name).is_dir():
                (folder / name).symlink_to(user_dir / name)
        write_private(folder / "config.json", json.dumps(config))
        yield {"DOCKER_CONFIG": str(folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
