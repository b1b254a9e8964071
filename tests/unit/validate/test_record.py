"""Remembered passes: keyed by everything that can change a validation's outcome."""
import shutil
from dataclasses import replace
from unittest import mock

import pytest

from studio_containers import studio
from studio_containers.build.images import BuiltImage
from studio_containers.validate import record
from studio_containers.validate.record import PassRecord, pass_key
from tests.helpers import made_up_spec, project_settings


@pytest.fixture
def image(tmp_path) -> BuiltImage:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "image.yaml").write_text("name: demo\n")
    return BuiltImage(spec=made_up_spec(folder=folder), ref="r:1", content_hash="1",
                      image_id="sha256:aaa", rebuilt=False)


def test_the_key_follows_the_image_spec_limits_and_the_checks(image, tmp_path):
    settings = project_settings()
    key = pass_key(image, settings)
    assert pass_key(image, settings) == key
    assert pass_key(replace(image, image_id="sha256:bbb"), settings) != key
    assert pass_key(image, replace(settings, validate_max_size_gb=1.0)) != key
    image.spec.spec_file.write_text("name: demo\ndisplay_name: Other\n")
    assert pass_key(image, settings) != key


def test_a_change_to_studios_rules_checks_every_image_again(image, tmp_path):
    settings = project_settings()
    key = pass_key(image, settings)
    rules = tmp_path / "studio.py"
    shutil.copy(studio.__file__, rules)
    rules.write_text(rules.read_text().replace("MAX_ID = 65535", "MAX_ID = 65534"))
    sources = [rules if p.name == "studio.py" else p for p in record.CHECKS_SOURCE]
    assert len(sources) == len(record.CHECKS_SOURCE) and rules in sources
    with mock.patch.object(record, "CHECKS_SOURCE", sources):
        assert pass_key(image, settings) != key


def test_the_record_remembers_and_forgets_privately(tmp_path):
    path = tmp_path / "validated.json"
    PassRecord(path).remember("demo", "k1")
    assert PassRecord(path).passed("demo", "k1") and not PassRecord(path).passed("demo", "k2")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    PassRecord(path).forget("demo")
    assert not PassRecord(path).passed("demo", "k1")
    path.write_text("{broken")
    assert not PassRecord(path).passed("demo", "k1")   # an unreadable record checks again
