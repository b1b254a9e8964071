"""image.yaml's text (spec_yaml.py): what it writes reads back as the same data and the same
spec, for every field of each app type and for values YAML would take for something else."""
from pathlib import Path

import pytest
import yaml

from studio_containers.app_image_config import config_of, spec_data_of
from studio_containers.spec import load_spec
from studio_containers.spec_yaml import spec_text
from tests.unit.test_app_image_config import CODE_EDITOR, JUPYTER_LAB, KERNEL_GATEWAY, same_fields

AWKWARD = ["yes", "no", "on", "null", "~", "1.0", "0x10", "012", "- a", "a: b", "a #b", "#x",
           "'q'", '"dq"', "[x]", "{x}", "*x", "&x", "!x", "%x", "@x", "`x", "é ü", "tab\tin",
           "line\nbreak", "trailing ", "--port=8888", "a,b", "2026-12-06", ""]


@pytest.mark.parametrize("spec", [KERNEL_GATEWAY, JUPYTER_LAB, CODE_EDITOR],
                         ids=lambda s: s.app_type)
def test_a_spec_goes_to_its_config_to_image_yaml_and_back(spec, tmp_path):
    data = spec_data_of({"AppImageConfigName": spec.name, **config_of(spec)}, "c.json")
    folder = tmp_path / spec.name
    folder.mkdir()
    (folder / "image.yaml").write_text(spec_text(data))
    (folder / "Dockerfile").write_text("FROM scratch\n")
    assert same_fields(load_spec(folder), spec)


@pytest.mark.parametrize("value", AWKWARD)
def test_values_yaml_would_misread_are_written_to_read_back(value):
    data = {"name": "x", "display_name": "X", "app_type": "JupyterLab",
            "container_config": {"entrypoint": [value], "arguments": [value, "plain"],
                                 "environment": {"K": value, value or "E": "v"}}}
    assert yaml.safe_load(spec_text(data)) == data


def test_plain_values_stay_plain_and_comments_say_what_fields_are():
    text = spec_text({"name": "r-team", "display_name": "R (team)", "app_type": "KernelGateway",
                      "platform": "linux/amd64", "kernels": [{"name": "ir", "display_name": "R"}],
                      "user": {"uid": 0, "gid": 0}, "mount_path": "/root"},
                     heading="Adopted from x")
    assert text.splitlines()[:3] == [
        "# Adopted from x",
        "# The one spec of this image; every task (build, local, validate, deploy) reads it.",
        "name: r-team                       # SageMaker ImageName and AppImageConfigName"]
    assert "display_name: R (team)\n" in text and "mount_path: /root " in text
    assert "\n  - name: ir    " in text and " # a kernelspec name inside the image\n" in text


def test_the_shipped_specs_read_back_through_the_writer():
    for folder in sorted(Path("images").iterdir()):
        data = yaml.safe_load((folder / "image.yaml").read_text())
        assert yaml.safe_load(spec_text(data)) == data
