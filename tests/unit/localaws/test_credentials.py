"""The local AWS's own secrets: made once, kept private, a file of something else refused."""
import stat

import pytest

from studio_containers.errors import UserError
from studio_containers.localaws.credentials import LocalCredentials


def test_credentials_are_made_once_in_a_private_file(tmp_path):
    path = tmp_path / "aws" / "credentials.json"
    made = LocalCredentials.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert made.access_key_id.startswith("AKIA") and len(made.access_key_id) == 20
    assert len({made.secret_access_key, made.registry_password, made.events_token}) == 3
    assert LocalCredentials.load_or_create(path) == made
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]


@pytest.mark.parametrize("content", ["not json", '{"access_key_id": "AKIA"}'])
def test_a_corrupt_credentials_file_is_refused_and_kept(tmp_path, content):
    path = tmp_path / "credentials.json"
    path.write_text(content)
    with pytest.raises(UserError, match="not a local AWS credentials file; delete it"):
        LocalCredentials.load_or_create(path)
    assert path.read_text() == content


def test_when_another_task_made_them_first_theirs_are_used(tmp_path, monkeypatch):
    path = tmp_path / "credentials.json"
    theirs = LocalCredentials("AKIATHEIRS0000000000", "s", "r", "e")
    original = LocalCredentials.load_or_create.__func__

    def racing_exists(self):   # the file appears between our check and our write
        if not path.is_file():
            path.write_text('{"access_key_id": "AKIATHEIRS0000000000", "secret_access_key": "s", '
                            '"registry_password": "r", "events_token": "e"}')
        return False
    monkeypatch.setattr(type(path), "exists", racing_exists)
    assert original(LocalCredentials, path) == theirs
