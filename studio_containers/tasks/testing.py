"""`invoke test`: the test suite, with the Docker engine it needs."""
import shlex
import sys

from invoke import Collection, task

from .. import PROJECT_ROOT
from ..console import say
from ..engine import ensure_engine
from . import settings, user_errors


@task(help={"unit": "run only the unit tests (no Docker engine needed)",
            "k": "only tests matching this pytest -k expression",
            "pytest_args": "extra arguments passed to pytest, e.g. '-x -vv'"})
@user_errors
def test(c, unit=False, k=None, pytest_args=""):
    """Run the tests: unit, integration (testcontainers) and end-to-end."""
    s = settings(c)
    args = ["-m", "pytest", str(PROJECT_ROOT / "tests" / ("unit" if unit else ""))]
    if k:
        args += ["-k", k]
    args += shlex.split(pytest_args)
    if not unit:
        say("Checking the Docker engine the integration tests use")
        ensure_engine(s.state_dir)
    with c.cd(str(PROJECT_ROOT)):
        c.run(shlex.join([sys.executable, *args]), pty=False)


ns = Collection(test)
