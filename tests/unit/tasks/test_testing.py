"""`invoke test` through MockContext: the exact pytest command it runs."""
import sys

from invoke import Result

from studio_containers import PROJECT_ROOT
from studio_containers.tasks import testing


def test_test_task_runs_pytest_on_the_unit_folder(context, exit_message, tmp_path):
    expected = f"{sys.executable} -m pytest {PROJECT_ROOT / 'tests' / 'unit'} --durations=25 -k spec -x"
    c = context(run={expected: Result()})
    testing.test(c, unit=True, k="spec", pytest_args="-x")
    assert [call.args[0] for call in c.run.call_args_list] == [expected]
