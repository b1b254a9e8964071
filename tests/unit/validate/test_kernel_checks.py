"""Kernel discovery reports turned into findings (classes 1, 5 and 7) on made-up reports."""
import pytest

from studio_containers.validate.kernel_checks import kernel_findings
from tests.unit.validate.inputs import a_spec, classes


def report(kernels=None, elsewhere=None, python="/opt/venv/bin/python"):
    return {"python": python, "prefix": "/opt/venv", "kernels": kernels or {},
            "elsewhere": elsewhere or {}}


@pytest.mark.parametrize("kernel_report, expected, startable", [
    (report({"python3": {"dir": "/opt/venv/share/jupyter/kernels/python3",
                         "argv0_real": "/usr/bin/python3.11"}}), [], ["python3"]),
    (report(), [1], []),
    (report({"python3": {"dir": "/home/sagemaker-user/.local/share/jupyter/kernels/python3",
                         "argv0_real": "/usr/bin/python3"}}), [5], []),
    (report({"python3": {"dir": "/usr/share/jupyter/kernels/python3",
                         "argv0_real": "/home/sagemaker-user/env/bin/python"}}), [5], []),
    (report(elsewhere={"python3": ["/opt/conda/share/jupyter/kernels/python3"]}), [7], []),
    (report(python=None), [7], []),
])
def test_kernel_classes(kernel_report, expected, startable):
    found, can_start = kernel_findings(a_spec(), kernel_report)
    assert classes(found) == expected and can_start == startable
