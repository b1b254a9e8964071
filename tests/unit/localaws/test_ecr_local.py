"""Local ECR: repository URIs and logins of the registry, pushes recorded, base images resolved."""
import base64
import hashlib
import json

import boto3
import pytest

from studio_containers.localaws.ecr.local import LocalEcr
from tests.unit.localaws.conftest import install_patches

HOST = "127.0.0.1:5999"
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType":
                       "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {}, "layers": []})
DIGEST = "sha256:" + hashlib.sha256(MANIFEST.encode()).hexdigest()


@pytest.fixture
def ecr(monkeypatch, moto_backend):
    """LocalEcr installed on moto in this process; moto's own methods come back afterwards."""
    local = LocalEcr("123456789012", "us-east-1", HOST, "registry-password")
    install_patches(monkeypatch, {"ecr"}, ecr=local)
    monkeypatch.setattr(local, "_manifest", lambda target: MANIFEST)
    return local


def _push(repository: str, tag: str | None = "v1", media_type: str | None = None) -> dict:
    target = {"repository": repository, "digest": DIGEST, "tag": tag,
              "mediaType": media_type or "application/vnd.docker.distribution.manifest.v2+json"}
    return {"action": "push", "target": {k: v for k, v in target.items() if v is not None}}


def test_repositories_and_logins_are_the_registrys(ecr):
    client = boto3.client("ecr", region_name="us-east-1")
    uri = client.create_repository(repositoryName="team/img")["repository"]["repositoryUri"]
    assert uri == f"{HOST}/team/img"
    [data] = client.get_authorization_token()["authorizationData"]
    assert base64.b64decode(data["authorizationToken"]).decode() == "AWS:registry-password"
    assert data["proxyEndpoint"] == f"http://{HOST}"


def test_pushes_are_recorded_once_and_resolve_pinned_by_digest(ecr):
    boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="team/img")
    blob = {"action": "push", "target": {"repository": "team/img", "digest": DIGEST,
                                         "mediaType": "application/octet-stream"}}
    events = [blob, _push("team/img"), _push("elsewhere")]
    assert ecr.record_events(json.dumps({"events": events}).encode()) == 1
    assert ecr.record_events(json.dumps({"events": [_push("team/img")]}).encode()) == 0
    pinned = f"{HOST}/team/img@{DIGEST}"
    assert ecr.resolve(f"{HOST}/team/img:v1") == (pinned, None)
    assert ecr.resolve(f"{HOST}/team/img@{DIGEST}") == (pinned, None)


@pytest.mark.parametrize("reference, reason", [
    ("docker.io/library/python:3.12", "is not in this local ECR (127.0.0.1:5999)"),
    (f"{HOST}/nobody/img:v1", "ECR repository nobody/img does not exist."),
    (f"{HOST}/team/img:v2", "does not exist in ECR repository team/img: push it first."),
    (f"{HOST}/team/img", "does not exist in ECR repository team/img: push it first."),
])
def test_a_base_image_that_is_not_pushed_here_is_a_failure_reason(ecr, reference, reason):
    boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="team/img")
    ecr.record_events(json.dumps({"events": [_push("team/img")]}).encode())
    container_image, failure = ecr.resolve(reference)
    assert container_image is None and reason in failure
