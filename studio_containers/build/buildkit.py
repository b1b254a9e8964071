"""A build through BuildKit, driven by the docker CLI (`docker buildx build` or
`DOCKER_BUILDKIT=1 docker build`), as users' own builds run.

The CLI is what gives BuildKit the build context, secrets and registry logins (docker-py
speaks only the legacy builder's API). Its plain progress is condensed by progress.py; the
image id comes back through --iidfile. Every build carries an inline cache (the cache
metadata in the image's config), so a pushed image can seed another machine's build through
--cache-from.
"""
import queue
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

import docker

from .. import processes
from ..console import show_tail
from ..errors import UserError
from .builder import BUILDX, Builder, cli_env
from .outcome import BuildOutcome, engine_gone, engine_stopped
from .progress import Progress
from .registry_login import docker_config

STOP_GRACE = 10     # seconds the CLI has to stop its build before it is killed


def buildkit_argv(builder: Builder, request, iidfile: Path, dockerfile: Path | None) -> list[str]:
    argv = [builder.cli, *(["buildx", "build", "--builder", "default", "--load"]
                           if builder.kind == BUILDX else ["build"])]
    argv += ["--progress", "plain", "--iidfile", str(iidfile), "--tag", request.tag]
    for name, value in request.buildargs.items():
        argv += ["--build-arg", f"{name}={value}"]
    argv += ["--build-arg", "BUILDKIT_INLINE_CACHE=1"]
    for name, value in request.labels.items():
        argv += ["--label", f"{name}={value}"]
    if request.network:
        argv += ["--network", request.network]
    if request.platform:
        argv += ["--platform", request.platform]
    for secret in request.secrets:
        argv += ["--secret", secret.cli_value()]
    for ref in request.cache_from:
        argv += ["--cache-from", ref]
    if dockerfile is not None:
        argv += ["--file", str(dockerfile)]
    return argv + [str(request.context)]


def buildkit_build(client: docker.DockerClient, builder: Builder, request,
                   dockerfile: Path | None = None, verbose: bool = False) -> BuildOutcome:
    """Build `request` (dockerbuild.BuildRequest), from `dockerfile` if given (else the
    context's own)."""
    progress = Progress(verbose=verbose)
    with tempfile.TemporaryDirectory(prefix="studio-containers-build-") as scratch, \
            docker_config(list(request.logins)) as config_env:
        iidfile = Path(scratch) / "iid"
        argv = buildkit_argv(builder, request, iidfile, dockerfile)
        env = cli_env({"DOCKER_BUILDKIT": "1", **config_env})
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, text=True,
                                    errors="replace")
        except OSError as exc:
            raise UserError(f"{request.title}: cannot run {builder.cli}: {exc}") from None
        with proc:
            try:
                for line in _lines(proc, progress.tick):
                    progress.feed(line)
                code = proc.wait()
            except BaseException:
                # Ctrl-C or an error of ours: the build goes too. The CLI stops the build it
                # started when it is told to end; one that does not is killed.
                processes.stop(proc, STOP_GRACE, what="the docker build")
                raise
        image_id = iidfile.read_text().strip() if iidfile.exists() else ""
    if code != 0 or not image_id:
        show_tail(f"the {request.title} build", progress.tail)
        # A step's own non-zero exit is the Dockerfile's failure; anything else may be an
        # engine stopping under the build.
        if progress.exit_code() is None and engine_gone(client):
            raise engine_stopped(request.title, request.tag, progress.failure())
        if code == 0:
            raise UserError(f"{request.title}: the build ended without an image (the Docker "
                            f"engine stopped or restarted under it?); {request.tag} was not "
                            "tagged. Rerun")
        raise UserError(f"{request.title}: build failed: {progress.failure()}"
                        f"{request.failure_hint}")
    steps = progress.steps
    return BuildOutcome(image_id, steps=len(steps), cached=sum(1 for s in steps if s.cached))


def _lines(proc: subprocess.Popen, idle: Callable[[], None], every: float = 0.1) -> Iterator[str]:
    """The process's output lines, calling `idle` while none comes (a quiet step is still
    shown while it runs)."""
    lines: queue.Queue = queue.Queue()

    def read():
        try:
            for line in proc.stdout:
                lines.put(line)
        finally:
            lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    while True:     # a reader, not a wait: it ends with the output; a build has no deadline
        try:
            line = lines.get(timeout=every)
        except queue.Empty:
            idle()
            continue
        if line is None:
            return
        yield line

