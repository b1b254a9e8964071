"""One image build, whichever builder runs it, checked before it starts.

Before a builder is started, the Dockerfile is read for what it needs: features the legacy
builder lacks, or newer than the engine's own Dockerfile frontend; a `# syntax=` frontend that
cannot be pulled; FROM images that are neither in the engine nor pullable; build secrets whose
source is missing. Each is told in one line naming the Dockerfile's line and the way out, and
nothing is tagged.
"""
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import DockerException

from ..console import detail, warn
from ..errors import UserError, first_line
from . import dockerfile as dockerfile_syntax
from .builder import WHAT_TO_INSTALL, Builder
from .buildkit import buildkit_build
from .legacy import legacy_build
from .outcome import BuildOutcome
from .pulls import PullFailed, ensure_image, image_exists
from .registry_login import RegistryLogin

__all__ = ["BuildRequest", "BuildSecret", "run_build", "image_exists"]
DOCKERFILE_IGNORE = "Dockerfile.dockerignore"   # BuildKit's per-Dockerfile .dockerignore


@dataclass(frozen=True)
class BuildSecret:
    """A build secret (`RUN --mount=type=secret,id=ID`), read from a file or a variable."""
    id: str
    file: Path | None = None
    env: str | None = None
    where: str = ""             # the spec field that names it, for messages

    def cli_value(self) -> str:
        source = f"src={self.file}" if self.file else f"env={self.env}"
        # The CLI reads the value as one CSV record: a comma or quote in a path needs quoting.
        if any(c in source for c in ',"'):
            source = '"' + source.replace('"', '""') + '"'
        return f"id={self.id},{source}"

    def check(self) -> None:
        if self.file is not None:
            if not self.file.is_file() or not os.access(self.file, os.R_OK):
                raise UserError(f"{self.where}.file: {self.file} is not a readable file "
                                f"(the source of build secret {self.id!r})")
        elif os.environ.get(self.env or "") is None:
            raise UserError(f"{self.where}.env: the variable {self.env} is not set (the source "
                            f"of build secret {self.id!r}); export it before building")


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    tag: str
    title: str                                  # names the build in messages
    buildargs: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    network: str | None = None
    platform: str | None = None
    secrets: tuple[BuildSecret, ...] = ()
    cache_from: tuple[str, ...] = ()            # images whose inline cache may serve (BuildKit)
    logins: tuple[RegistryLogin, ...] = ()      # for the registries cache_from names
    failure_hint: str = ""

    @property
    def dockerfile(self) -> Path:
        return self.context / "Dockerfile"


def run_build(client: docker.DockerClient, request: BuildRequest, builder: Builder, *,
              mirror: str | None = None, base_image: str = "", verbose: bool = False
              ) -> BuildOutcome:
    """Check `request` against `builder`, then build it; raises UserError in one line."""
    text = request.dockerfile.read_text(errors="replace")
    parsed = dockerfile_syntax.parse(text)
    where = request.title
    with tempfile.TemporaryDirectory(prefix="studio-containers-dockerfile-") as scratch:
        own_dockerfile = None
        if parsed.syntax and builder.buildkit and not frontend_reachable(client, parsed.syntax[0]):
            own_dockerfile = _without_syntax_line(request, text, parsed.syntax, Path(scratch))
            warn(f"{where}: line {parsed.syntax[1]}: the frontend {parsed.syntax[0]} cannot be "
                 f"pulled; building with the engine's own Dockerfile frontend "
                 f"({builder.syntax_name()})")
        if not builder.buildkit or own_dockerfile or not parsed.syntax:
            _check_features(parsed, builder, where)
        if request.secrets and not builder.buildkit:
            raise UserError(f"{request.secrets[0].where}: build secrets need BuildKit, and "
                            f"{builder.missing}")
        for secret in request.secrets:
            secret.check()
        _ensure_from_images(client, parsed, request, mirror, base_image)
        if not builder.buildkit:
            if request.cache_from:
                detail("Registry cache not used: the legacy builder cannot read an inline cache")
            return legacy_build(client, request, verbose=verbose)
        return buildkit_build(client, builder, request, own_dockerfile, verbose=verbose)


def _check_features(parsed: dockerfile_syntax.Dockerfile, builder: Builder, where: str) -> None:
    for feature in parsed.buildkit_features():
        if not builder.buildkit:
            raise UserError(f"{where}: line {feature.line}: {feature.what} needs BuildKit, and "
                            f"{builder.missing or WHAT_TO_INSTALL}")
        if not builder.reads(feature.syntax):
            raise UserError(
                f"{where}: line {feature.line}: {feature.what} needs Dockerfile syntax "
                f"{feature.version}, and this engine (Docker {builder.engine_version}) reads "
                f"{builder.syntax_name()}; use Docker Engine 23.0 or newer, start the Dockerfile "
                "with `# syntax=docker/dockerfile:1` where Docker Hub can be reached, or write "
                "that step without it")


_reachable: dict[str, bool] = {}


def frontend_reachable(client: docker.DockerClient, image: str) -> bool:
    """Whether BuildKit could fetch the `# syntax=` frontend: in the engine, or its registry
    answers for it (asked once per process)."""
    if image not in _reachable:
        try:
            client.api.inspect_distribution(image)
            _reachable[image] = True
        except DockerException:
            _reachable[image] = image_exists(client, image)
    return _reachable[image]


def _without_syntax_line(request: BuildRequest, text: str, syntax: tuple[str, int],
                         scratch: Path) -> Path:
    """A copy of the Dockerfile without its `# syntax=` line (a bare `#` keeps the line
    numbers), beside the Dockerfile's own .dockerignore if it has one."""
    lines = text.splitlines(keepends=True)
    lines[syntax[1] - 1] = "#\n"
    copy = scratch / "Dockerfile"
    copy.write_text("".join(lines))
    own_ignore = request.context / DOCKERFILE_IGNORE
    if own_ignore.is_file():
        shutil.copy(own_ignore, scratch / DOCKERFILE_IGNORE)
    return copy


def _ensure_from_images(client: docker.DockerClient, parsed: dockerfile_syntax.Dockerfile,
                        request: BuildRequest, mirror: str | None, base_image: str) -> None:
    base = request.buildargs.get("BASE_IMAGE")
    for line, image, written in parsed.from_images(dict(request.buildargs)):
        if image is None or image == base:
            continue    # a FROM the builder will name better; the base is present
        try:
            ensure_image(client, image, mirror)
        except PullFailed as exc:
            ways = ("build on the configured base instead: `ARG BASE_IMAGE` then "
                    f"`FROM ${{BASE_IMAGE}}` (build.base_image, now {base_image or 'unset'})"
                    if base else "")
            ways += ("; or " if ways else "") + (
                "set build.registry_mirror to a registry or mirror that has it"
                if not mirror else f"make it available in build.registry_mirror ({mirror})")
            shown = image if image == written else f"{written} (= {image})"
            raise UserError(f"{request.title}: line {line}: FROM {shown} cannot be pulled "
                            f"({first_line(exc, 140)}); {ways}") from None
