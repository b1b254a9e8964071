"""`invoke test`: the test suite, with the Docker engine it needs."""
import shlex
import sys

from invoke import Collection, task

from .. import PROJECT_ROOT
from ..console import say
from ..errors import UserError
from . import settings, user_errors


@task(help={"unit": "run only the unit tests (no Docker engine needed)",
            "k": "only tests matching this pytest -k expression",
            "pytest_args": "extra arguments passed to pytest, e.g. '-x -vv'"})
@user_errors
def test(c, unit=False, k=None, pytest_args=""):
    """Run the tests: unit, integration (testcontainers) and end-to-end."""
    s = settings(c)
    # The slowest tests listed at the end: CI must stay well under its time limit.
    args = ["-m", "pytest", str(PROJECT_ROOT / "tests" / ("unit" if unit else "")),
            "--durations=25"]
    if k:
        args += ["-k", k]
    try:
        args += shlex.split(pytest_args)
    except ValueError as exc:
        raise UserError(f"--pytest-args {pytest_args!r}: {exc} (quote as in a shell)") from None
    if not unit:
        # Imported here: every command loads this module (see tasks/images.py).
        from ..deploy.toolchain import offline_toolchain
        from ..host import ensure_chromium
        from ..localaws.ecr.registry import registry_binary
        from ..pipeline import prepare
        # Made here, not inside pytest, so the slow first-time steps show their progress.
        say("Preparing what the integration tests use: Docker engine, base image, gateway runtime, "
            "registry, Terraform provider, chromium")
        prepare(s, [], runtime=True)
        registry_binary()
        offline_toolchain(s.cache_dir)
        ensure_chromium()
    with c.cd(str(PROJECT_ROOT)):
        c.run(shlex.join([sys.executable, *args]), pty=False)


@task(help={"only": "run only these benchmarks (comma-separated), e.g. deploy"})
@user_errors
def bench(c, only=""):
    """Run the benchmarks under bench/ and print their table (goals next to the figures)."""
    names = [n for n in only.split(",") if n]
    with c.cd(str(PROJECT_ROOT)):
        c.run(shlex.join([sys.executable, "-m", "bench", *names]), pty=False)


ns = Collection(test, bench)
