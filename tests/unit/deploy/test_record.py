"""The deploy record: a corrupt one is refused, a saved one is private and reads back the same."""
import stat

import pytest

from studio_containers.deploy.record import DeployRecord
from studio_containers.errors import UserError


def test_a_corrupt_deploy_record_is_refused(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "local.json").write_text("{broken")
    with pytest.raises(UserError, match="local.json: not valid JSON"):
        DeployRecord(tmp_path, "local")


def test_the_record_is_saved_privately_and_reads_back(tmp_path):
    record = DeployRecord(tmp_path, "local")
    assert record.images == {} and record.pending == set()
    record.images["a"] = {"version": 1}
    record.set_pending({"b", "a"})
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600
    again = DeployRecord(tmp_path, "local")
    assert again.images == {"a": {"version": 1}} and again.pending == {"a", "b"}
    assert again.data["pending"] == ["a", "b"]
