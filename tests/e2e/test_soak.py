"""End to end, the short soak: the same code as `./inv bench --only soak` (bench/soak.py) with fewer
cycles. Kernel cycles through a real `invoke local` (JupyterLab → gateway), space app cycles
through the local AWS; afterwards no container, volume, process or kernel is left, and the
gateway's memory grew less than the bound for that many cycles."""
import pytest

from bench.soak import kernel_soak, memory_bound, space_app_soak
from studio_containers.cli_process import Cli

KERNEL_CYCLES = 10      # the bench runs 100
APP_CYCLES = 3          # the bench runs 20


@pytest.fixture
def invoke(tmp_path):
    """The CLI with a state folder and local-AWS ports of this test's own; the local AWS stopped
    afterwards even when the soak did not get to it."""
    cli = Cli(tmp_path / "state", aws_repository_prefix="soak")
    yield cli
    cli("aws.stop", check=False)


def test_kernel_cycles_through_invoke_local_leave_nothing_and_bound_the_gateways_memory(
        local_env, first_start_timeout):
    soak = kernel_soak(local_env, KERNEL_CYCLES, start_timeout=first_start_timeout)
    assert len(soak.cycles) == KERNEL_CYCLES
    assert soak.leaks == [], "\n".join(soak.leaks)
    assert soak.memory_growth <= memory_bound(KERNEL_CYCLES), soak.memory_line()


# A first run builds jupyterlab-python and pushes it before the cycles.
@pytest.mark.timeout(1800)
def test_space_app_cycles_through_the_local_aws_leave_nothing(invoke):
    soak = space_app_soak(invoke, APP_CYCLES)
    assert len(soak.cycles) == APP_CYCLES
    assert soak.leaks == [], "\n".join(soak.leaks + soak.details)
