"""Kernel discovery reports turned into findings (classes 1, 5 and 7) on made-up reports, and
each startable kernel probed in its own language."""
import os
import subprocess
import sys

import pytest

from studio_containers.errors import UserError
from studio_containers.spec import Kernel
from studio_containers.validate import kernel_checks
from studio_containers.validate.kernel_checks import (
    PROBES,
    ChecksGateway,
    kernel_findings,
    run_probes,
    start_checks_gateway,
    start_findings,
)
from tests.unit.validate.inputs import a_spec, classes

IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def report(kernels=None, elsewhere=None, python="/opt/venv/bin/python"):
    return {"python": python, "prefix": "/opt/venv", "path": IMAGE_PATH, "kernels": kernels or {},
            "elsewhere": elsewhere or {}}


def python3(**changes):
    return {"dir": "/opt/venv/share/jupyter/kernels/python3", "argv0": "/opt/venv/bin/python",
            "argv0_real": "/usr/bin/python3.11", "argv0_found": True, "language": "python",
            **changes}


def ir(**changes):
    return {"dir": "/usr/local/share/jupyter/kernels/ir", "argv0": "/usr/bin/R",
            "argv0_real": "/usr/lib/R/bin/R", "argv0_found": True, "language": "R",
            "irkernel": True, "irkernel_error": None, **changes}


R_SPEC = a_spec(kernels=(Kernel("ir", "R"),))
BOTH_SPEC = a_spec(kernels=(Kernel("python3", "Python 3"), Kernel("ir", "R")))


@pytest.mark.parametrize("kernel_report, expected, startable", [
    (report({"python3": python3()}), [], {"python3": "python"}),
    (report(), [1], {}),
    (report({"python3": python3(dir="/home/sagemaker-user/.local/share/jupyter/kernels/python3",
                                argv0_real="/usr/bin/python3")}), [5], {}),
    (report({"python3": python3(dir="/usr/share/jupyter/kernels/python3",
                                argv0_real="/home/sagemaker-user/env/bin/python")}), [5], {}),
    (report(elsewhere={"python3": ["/opt/conda/share/jupyter/kernels/python3"]}), [7], {}),
    (report(python=None), [7], {}),
    (report({"python3": python3(argv0="python", argv0_real=None, argv0_found=False)}), [7], {}),
])
def test_kernel_classes(kernel_report, expected, startable):
    found, can_start = kernel_findings(a_spec(), kernel_report)
    assert classes(found) == expected and can_start == startable


def only_finding(spec, kernel_report):
    found, startable = kernel_findings(spec, kernel_report)
    assert classes(found) == [7] and len(found) == 1
    assert "\n" not in found[0].line(spec.name)
    return found[0], startable


def test_an_r_kernel_whose_r_is_not_on_path_is_class_7_and_not_started():
    finding, startable = only_finding(BOTH_SPEC, report({
        "python3": python3(),
        "ir": ir(argv0="R", argv0_real=None, argv0_found=False, irkernel=None,
                 irkernel_error="not checked: its interpreter was not found")}))
    assert startable == {"python3": "python"}
    assert finding.evidence == f"kernel ir runs R, which is not on the image's PATH ({IMAGE_PATH})"
    assert "`apt-get install r-base-core`" in finding.fix and "ENV PATH=" in finding.fix
    assert "/usr/local/share/jupyter/kernels/ir/kernel.json" in finding.fix


def test_a_missing_interpreter_at_an_absolute_path_and_in_another_language():
    finding, startable = only_finding(a_spec(kernels=(Kernel("julia", "Julia"),)), report({
        "julia": {"dir": "/usr/share/jupyter/kernels/julia", "argv0": "/opt/julia/bin/julia",
                  "argv0_real": "/opt/julia/bin/julia", "argv0_found": False,
                  "language": "julia"}}))
    assert startable == {}
    assert finding.evidence == ("kernel julia runs /opt/julia/bin/julia, which is not an "
                                "executable file in the image")
    assert finding.fix == ("install the interpreter in the image, or fix argv in "
                           "/usr/share/jupyter/kernels/julia/kernel.json")


def test_a_kernelspec_without_argv_is_class_7():
    finding, startable = only_finding(R_SPEC, report({"ir": ir(argv0=None, argv0_real=None,
                                                               argv0_found=False)}))
    assert startable == {} and "names no interpreter" in finding.evidence


def test_an_r_kernel_without_irkernel_is_class_7_and_not_started():
    finding, startable = only_finding(BOTH_SPEC, report({"python3": python3(),
                                                         "ir": ir(irkernel=False)}))
    assert startable == {"python3": "python"}
    assert finding.evidence == "IRkernel is not installed for /usr/bin/R (kernel ir)"
    assert "`apt-get install r-cran-irkernel`" in finding.fix
    assert """R -e 'install.packages("IRkernel")'""" in finding.fix


@pytest.mark.parametrize("irkernel, error", [(True, None), (None, "/usr/bin/Rscript exited 1: …")])
def test_an_r_kernel_with_irkernel_or_an_unanswered_check_is_started(irkernel, error):
    # When R could not say, the real start through the gateway decides.
    found, startable = kernel_findings(R_SPEC, report({"ir": ir(irkernel=irkernel,
                                                                irkernel_error=error)}))
    assert found == [] and startable == {"ir": "R"}


@pytest.fixture
def gateway_runs(monkeypatch, tmp_path):
    """run_probes and start_findings against a stand-in gateway offering `kernels` (name ->
    language): each kernel answers what `answers` says."""
    sent, answers, offering = {}, {}, {}

    def execute(url, token, name, code, timeout, shutdown=True):
        sent[name] = code
        if isinstance(answers[name], Exception):
            raise answers[name]
        return answers[name]

    monkeypatch.setattr(kernel_checks, "start_gateway", lambda *a, **k: object())
    monkeypatch.setattr(kernel_checks, "execute", execute)
    monkeypatch.setattr(kernel_checks, "offered", lambda gateway, timeout: dict(offering))

    def run(spec, kernels, kernel_answers, startable=None):
        answers.update(kernel_answers)
        offering.update(kernels)
        gateway = start_checks_gateway(None, spec, "img", kernel_checks.Runtime(image="i", volume="v"),
                                       tmp_path / "home", tmp_path / "state", timeout=5)
        may_start = kernels if startable is None else startable
        return start_findings(gateway, spec, may_start, run_probes(gateway, 5, may_start))
    return run, sent


def test_each_kernel_is_probed_in_its_own_language(gateway_runs):
    run, sent = gateway_runs
    spec = a_spec(kernels=(Kernel("python3", "P"), Kernel("ir", "R"), Kernel("old", "O"),
                           Kernel("julia", "J")))
    found = run(spec, {"python3": "python", "ir": "R", "old": None, "julia": "julia"},
                {"python3": "1000 100 /opt/venv/bin/python", "ir": "1000 100", "old": "1000 100",
                 "julia": ""})
    assert sent == {"python3": PROBES["python"], "ir": PROBES["r"], "old": PROBES["python"],
                    "julia": ""}
    # only the kernel nobody could ask for its UID says so, and only as a warning
    assert [(f.cls, f.warning) for f in found] == [(3, True)]
    assert "julia" in found[0].evidence and "not checked" in found[0].evidence


def test_an_r_kernel_running_as_another_user_or_failing_is_named(gateway_runs):
    run, sent = gateway_runs
    spec = a_spec(kernels=(Kernel("ir", "R"), Kernel("ir-broken", "R")))
    found = run(spec, {"ir": "R", "ir-broken": "R"},
                {"ir": "0 0", "ir-broken": AssertionError("kernel error: there is no package")})
    assert [(f.cls, f.warning) for f in found] == [(3, False), (7, False)]
    assert found[0].evidence == "kernel ir ran as 0:0"
    assert "that its R has IRkernel" in found[1].fix and "ipykernel" not in found[1].fix


def test_the_python_probe_prints_uid_and_gid_first():
    out = subprocess.run([sys.executable, "-c", PROBES["python"]], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:2] == [str(os.getuid()), str(os.getgid())]



def test_a_gateway_that_did_not_start_matters_only_when_there_are_kernels_to_start():
    failed = ChecksGateway(gc=None, token="t", container=None, error=UserError("exited with 3"))
    assert run_probes(failed, 5, {"python3": "python"}) == {}
    assert start_findings(failed, a_spec(), {}, {}) == []
    [finding] = start_findings(failed, a_spec(), {"python3": "python"}, {})
    assert finding.cls == 7 and "exited with 3" in finding.evidence


def test_a_kernel_the_inspection_rules_out_is_never_started(gateway_runs):
    """Its own finding says why; starting it could only wait on a kernel that dies."""
    run, sent = gateway_runs
    spec = a_spec(kernels=(Kernel("python3", "P"), Kernel("broken", "B")))
    found = run(spec, {"python3": "python", "broken": "python"},
                {"python3": "1000 100 /opt/venv/bin/python", "broken": RuntimeError("no python")},
                startable={"python3": "python"})
    assert set(sent) == {"python3"} and found == []
