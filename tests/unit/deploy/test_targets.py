"""Opening a target: real AWS without credentials says where credentials were looked for."""
import pytest

from studio_containers.deploy.targets import open_target
from studio_containers.errors import UserError
from tests.helpers import project_settings


def test_aws_target_without_credentials_names_the_chain(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no traffic to the metadata address
    settings = project_settings(state_dir=str(tmp_path), deploy__domain_id="d-123456789012")
    with pytest.raises(UserError, match="no AWS credentials found; tried environment"):
        open_target(settings, "aws")
