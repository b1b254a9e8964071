"""Which builder runs `docker build` here: BuildKit, found the way a user's machine offers it.

In order: a docker CLI with the buildx plugin (Docker Desktop, docker-ce: `docker buildx build`),
then a docker CLI older than 23.0, which drives the engine's built-in BuildKit itself
(`DOCKER_BUILDKIT=1 docker build`, Debian's docker.io). CLIs from 23.0 on hand BuildKit to buildx
only, so without the plugin they cannot. With neither, the engine API's legacy builder, and a
Dockerfile that needs BuildKit is refused in one line saying what to install.
"""
import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import DockerException

from ..console import detail
from ..errors import UserError
from ..settings import BUILDER_CHOICES

BUILDX = "buildx"
AUTO, BUILDKIT, LEGACY = SETTINGS = BUILDER_CHOICES
SETTING = "build.builder"
PROBE_TIMEOUT = 15
# The Dockerfile frontend built into an engine: 20.10 carries syntax 1.3 (RUN --mount, COPY
# --chmod). From 23.0 on (heredocs, COPY --link, and more with each release) the builder
# itself is left to judge: None.
OLD_ENGINE_SYNTAX = (1, 3)
USUAL_PLACES = ("/usr/bin", "/usr/local/bin")      # Debian's docker.io, Docker's packages
WHAT_TO_INSTALL = ("install Docker's buildx plugin (docker-buildx-plugin from Docker's "
                   "packages, or Docker Desktop), or use a docker CLI older than 23.0, which "
                   "has BuildKit built in (Debian 12's docker.io)")


@dataclass(frozen=True)
class Builder:
    kind: str                   # BUILDX, BUILDKIT or LEGACY
    cli: str | None             # the docker CLI that drives BuildKit (None: the engine API)
    engine_version: str
    syntax: tuple[int, int] | None   # what the engine's own frontend reads; None: 23.0 or newer

    def reads(self, syntax: tuple[int, int]) -> bool:
        return self.syntax is None or syntax <= self.syntax

    def syntax_name(self) -> str:
        return "its built-in version" if self.syntax is None else f"syntax {self.syntax[0]}.{self.syntax[1]}"
    missing: str = ""           # LEGACY in auto: why no BuildKit, and what to install

    @property
    def buildkit(self) -> bool:
        return self.kind != LEGACY

    def describe(self) -> str:
        if self.kind == BUILDX:
            return f"BuildKit through `{self.cli} buildx build`"
        if self.kind == BUILDKIT:
            return f"the engine's built-in BuildKit through `{self.cli} build`"
        return "the engine API's legacy builder"


def docker_host() -> str:
    """The engine docker-py talks to (DOCKER_HOST, else the default socket), so that the CLI
    builds where our client looks for the image, whatever `docker context` says."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def cli_env(extra: dict | None = None) -> dict:
    env = dict(os.environ, DOCKER_HOST=docker_host(), DOCKER_CLI_HINTS="false",
               BUILDX_NO_DEFAULT_ATTESTATIONS="1")
    env.update(extra or {})
    return env


def find_builder(client: docker.DockerClient, setting: str = "auto") -> Builder:
    """The builder for `setting` (auto | buildkit | legacy), found once per engine and process."""
    if setting not in SETTINGS:
        raise UserError(f"{SETTING}: {setting!r} is not a builder; allowed: {', '.join(SETTINGS)}")
    try:
        version = client.version()
    except DockerException as exc:
        raise UserError(f"the Docker engine does not say its version: {exc}") from None
    return _find(setting, docker_host(), version.get("Version", "0"), version.get("Os", "linux"),
                 version.get("ApiVersion", "1.0"), os.environ.get("PATH", ""),
                 os.environ.get("DOCKER_BUILDKIT", ""))


@functools.lru_cache(maxsize=None)
def _find(setting: str, host: str, engine: str, engine_os: str, api: str, path: str,
          env_buildkit: str, places: tuple[str, ...] = USUAL_PLACES) -> Builder:
    syntax = None if _major(engine) >= 23 else OLD_ENGINE_SYNTAX
    if setting == LEGACY:
        return Builder(LEGACY, None, engine, syntax, f"{SETTING} is {LEGACY}")
    if setting == "auto" and env_buildkit.strip() == "0":
        return Builder(LEGACY, None, engine, syntax, "DOCKER_BUILDKIT=0 is set")
    why = ""
    if engine_os != "linux" or _version_tuple(api) < (1, 39):
        why = (f"the engine (Docker {engine}, API {api}, {engine_os}) has no BuildKit; "
               "Docker 18.09 or newer on Linux has")
    else:
        clis = candidate_clis(path, places)
        for cli in clis:
            if _runs([cli, "buildx", "version"]):
                return Builder(BUILDX, cli, engine, syntax)
        for cli in clis:
            cli_version = _output([cli, "version", "--format", "{{.Client.Version}}"])
            if cli_version and _major(cli_version) < 23:
                return Builder(BUILDKIT, cli, engine, syntax)
        found = ", ".join(clis) or "no docker CLI on PATH"
        why = f"no docker CLI here can drive BuildKit ({found}); {WHAT_TO_INSTALL}"
    if setting == BUILDKIT:
        raise UserError(f"{SETTING} is {BUILDKIT}, but {why}")
    return Builder(LEGACY, None, engine, syntax, why)


def candidate_clis(path: str, places: tuple[str, ...] = USUAL_PLACES) -> list[str]:
    """Every `docker` on PATH, in PATH's order, then in the usual places."""
    found, seen = [], set()
    dirs = [d for d in path.split(os.pathsep) if d] + list(places)
    for folder in dirs:
        cli = shutil.which("docker", path=folder)
        if cli is None:
            continue
        real = os.path.realpath(cli)
        if real not in seen:
            seen.add(real)
            found.append(str(Path(folder) / "docker"))
    return found


def announce(builder: Builder) -> None:
    if builder.kind == LEGACY and builder.missing:
        detail(f"Builder: {builder.describe()} ({builder.missing})")


def _runs(cmd: list[str]) -> bool:
    return _output(cmd) is not None


def _output(cmd: list[str]) -> str | None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                              env=cli_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _major(version: str) -> int:
    match = re.match(r"\s*v?(\d+)", version)
    return int(match[1]) if match else 0


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2]) or (0,)
