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
