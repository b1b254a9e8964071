"""The container credentials endpoint, read by botocore's own container provider: tokens,
caching, and an answer that says what to do when the local AWS cannot issue."""
from datetime import datetime, timedelta, timezone

import pytest
from botocore.credentials import ContainerProvider
from botocore.exceptions import CredentialRetrievalError

from studio_containers.runtime.credentials_endpoint import (
    CredentialsEndpoint,
    CredentialsIssuer,
    Unavailable,
)

ROLE = "arn:aws:iam::123456789012:role/exec"


@pytest.fixture
def endpoint():
    calls = []

    def assume_role(role_arn, session, seconds):
        calls.append((role_arn, session, seconds))
        if role_arn == "down":
            raise Unavailable("the local AWS is not running; start it with `./inv aws.start`")
        return {"AccessKeyId": f"ASIA{len(calls)}", "SecretAccessKey": "s", "SessionToken": "t",
                "Expiration": datetime.now(timezone.utc) + timedelta(hours=1)}

    started = CredentialsEndpoint(CredentialsIssuer(assume_role, "http://127.0.0.1:5566",
                                                    "eu-west-1")).start()
    yield started, calls
    started.stop()


def botocore_reads(environment: dict) -> object:
    return ContainerProvider(environ=environment).load().get_frozen_credentials()


def test_botocore_gets_the_roles_key_and_the_app_its_variables(endpoint):
    started, calls = endpoint
    environment = started.add(lambda: ROLE)
    assert environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5566"
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"
    first = botocore_reads(environment)
    assert (first.access_key, first.secret_key, first.token) == ("ASIA1", "s", "t")
    assert botocore_reads(environment).access_key == "ASIA1"    # cached until near expiry
    assert calls == [(ROLE, "SageMaker", 3600)]


def test_another_token_gets_nothing(endpoint):
    started, _ = endpoint
    environment = started.add(lambda: ROLE)
    for token in ("", "guess", environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"][:-1]):
        status, body = started.issuer.answer(token)
        assert status == 401 and "AccessKeyId" not in body
    started.issuer.remove(environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
    with pytest.raises(CredentialRetrievalError):
        botocore_reads(environment)


def test_when_the_local_aws_cannot_issue_the_kernel_is_told_what_to_do(endpoint):
    started, _ = endpoint
    environment = started.add(lambda: "down")
    status, body = started.issuer.answer(environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
    assert status == 503 and "./inv aws.start" in body["message"]
    with pytest.raises(CredentialRetrievalError, match="aws.start"):
        botocore_reads(environment)


def test_a_token_in_any_characters_is_refused_not_crashed_on(endpoint):
    started, _ = endpoint
    started.add(lambda: ROLE)
    assert started.issuer.answer("tökén")[0] == 401
