"""Checks of the image configuration and layers (classes 2, 3, 4, 6, 8, 10) on made-up inputs."""
from dataclasses import replace

import pytest

from studio_containers.validate.config_checks import config_findings
from tests.unit.validate.inputs import a_spec, classes, layers

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
    assert classes(config_findings(a_spec(), attrs, image_layers, 25_000_000_000,
                                   20_000_000_000)) == expected


def test_size_and_hidden_home_files_only_warn():
    found = config_findings(a_spec(), {**GOOD, "Size": 21_000_000_000},
                            layers("home/sagemaker-user/.bashrc", "home/sagemaker-user/data.csv"),
                            25_000_000_000, 20_000_000_000)
    assert [(f.cls, f.warning) for f in found] == [(10, True), (5, True)]
    assert "data.csv" in found[1].evidence


def test_uid_gid_pairs_studio_refuses_are_class_2():
    spec = replace(a_spec(), uid=1000, gid=1000)
    attrs = {**GOOD, "Config": {"User": "1000:1000"}}   # the image agrees: only the pair is wrong
    assert classes(config_findings(spec, attrs, layers(), 25_000_000_000, 20_000_000_000)) == [2]
