"""Opening a target: real AWS without credentials says where credentials were looked for."""
import pytest

from studio_containers.deploy.targets import backend_config, backend_hcl, check_inputs, open_target
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


def test_the_backend_block_names_another_endpoint_as_each_terraform_version_spells_it():
    assert backend_hcl(None, (1, 11, 4)) == 'terraform {\n  backend "s3" {}\n}\n'
    new = backend_hcl("http://127.0.0.1:5566", (1, 11, 4))
    assert 'endpoints = { s3 = "http://127.0.0.1:5566", dynamodb = "http://127.0.0.1:5566" }' in new
    assert "use_path_style = true" in new and "force_path_style" not in new
    old = backend_hcl("http://127.0.0.1:5566", (1, 0, 3))
    assert 'endpoint = "http://127.0.0.1:5566"' in old and "dynamodb_endpoint" in old
    assert "force_path_style = true" in old and "endpoints" not in old


def test_backend_settings_are_terraforms_strings_with_the_deploys_region(tmp_path):
    settings = project_settings(state_dir=str(tmp_path), aws__region="eu-west-1", deploy__backend={
        "bucket": "team-state", "key": "a.tfstate", "encrypt": True, "dynamodb_table": None})
    assert backend_config(settings) == {"bucket": "team-state", "key": "a.tfstate",
                                        "encrypt": "true", "region": "eu-west-1"}
    assert backend_config(project_settings(state_dir=str(tmp_path))) == {}


def test_an_endpoint_for_the_local_target_is_refused_before_anything_starts(tmp_path):
    settings = project_settings(state_dir=str(tmp_path), deploy__endpoint_url="http://127.0.0.1:1")
    with pytest.raises(UserError, match="deploy.endpoint_url: applies to --target aws only"):
        check_inputs(settings, "local")
    assert not (tmp_path / "aws").exists()
