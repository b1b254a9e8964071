"""Validation logic on made-up inputs: users, layers, configuration and kernel reports."""
import io
import tarfile

import pytest

from studio_containers.spec import load_spec
from studio_containers.validate.findings import Finding
from studio_containers.validate.kernel_checks import kernel_findings
from studio_containers.validate.layers import ImageLayers, LayerFacts, _read_layer, resolve_user
from studio_containers.validate.config_checks import config_findings
from tests.helpers import project_settings

ACCOUNTS = {"etc/passwd": "root:x:0:0::/root:/bin/sh\nsagemaker-user:x:1000:100::/home/s:/bin/sh\n",
            "etc/group": "root:x:0:\nusers:x:100:\nstaff:x:50:\n"}


@pytest.mark.parametrize("user, expected", [
    ("", (0, 0)), ("root", (0, 0)), ("sagemaker-user", (1000, 100)), ("1000", (1000, 100)),
    ("1000:100", (1000, 100)), ("sagemaker-user:staff", (1000, 50)), ("4242", (4242, 0)),
    ("nobody-here", None), ("1000:nogroup", None),
])
def test_image_users_resolve_as_docker_does(user, expected):
    assert resolve_user(user, ACCOUNTS) == expected


def _layer(*members: tuple[str, int, int]) -> io.BytesIO:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, uid, gid in members:
            info = tarfile.TarInfo(name)
            info.uid, info.gid = uid, gid
            tar.addfile(info, io.BytesIO(b""))
    data.seek(0)
    return data


def test_layers_report_high_ids_whiteouts_and_opaque_folders():
    facts = _read_layer(_layer(("opt/x", 70000, 1), ("opt/.wh.y", 0, 0),
                               ("srv/.wh..wh..opq", 0, 0), ("ok", 0, 0)))
    assert facts.high_ids == [("/opt/x", 70000, 1)]
    assert facts.whiteouts == {"opt/y"} and facts.opaque_dirs == {"srv"}
    assert facts.paths == {"opt/x", "ok"}


def spec():
    return load_spec(project_settings().images_dir / "python-basic")


def layers(*paths: str, high=()) -> ImageLayers:
    return ImageLayers([LayerFacts(high_ids=list(high))], set(paths), ACCOUNTS)


def classes(findings: list[Finding]) -> list[int]:
    return sorted(f.cls for f in findings if not f.warning)


GOOD = {"Architecture": "amd64", "Os": "linux", "Size": 300_000_000,
        "Config": {"User": "1000:100", "ExposedPorts": {}}}


@pytest.mark.parametrize("attrs, image_layers, expected", [
    (GOOD, layers("opt/venv"), []),
    ({**GOOD, "Config": {"User": "root"}}, layers(), [3]),
    (GOOD, layers(high=[("/x", 70000, 0)]), [4]),
    ({**GOOD, "Architecture": "arm64"}, layers(), [6]),
    (GOOD, layers("opt/ml", "opt/ml/model"), [8]),
    ({**GOOD, "Config": {"User": "1000:100", "ExposedPorts": {"8888/tcp": {}}}}, layers(), [8]),
    ({**GOOD, "Size": 30_000_000_000}, layers(), [10]),
])
def test_configuration_checks(attrs, image_layers, expected):
    assert classes(config_findings(spec(), attrs, image_layers, 25_000_000_000,
                                   20_000_000_000)) == expected


def test_size_and_hidden_home_files_only_warn():
    found = config_findings(spec(), {**GOOD, "Size": 21_000_000_000},
                            layers("home/sagemaker-user/.bashrc", "home/sagemaker-user/data.csv"),
                            25_000_000_000, 20_000_000_000)
    assert [(f.cls, f.warning) for f in found] == [(10, True), (5, True)]
    assert "data.csv" in found[1].evidence


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
    found, can_start = kernel_findings(spec(), kernel_report)
    assert classes(found) == expected and can_start == startable


def test_a_finding_line_names_class_evidence_and_fix():
    line = Finding(4, "/x is owned by 70000:0 in layer 2 of 9", "chown it").line("img")
    assert line == ("FAIL img: class 4 (file owned by UID/GID > 65535): /x is owned by 70000:0 "
                    "in layer 2 of 9. Fix: chown it")
