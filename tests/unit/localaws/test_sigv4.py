"""AWS Signature Version 4 on incoming requests: only our key (or a temporary key our STS issued,
with its session token), only what was signed, in time."""
from datetime import datetime, timedelta, timezone

import pytest

from studio_containers.localaws.server.sigv4 import SignatureError, only, verify

OURS = only("AKIAEXAMPLE", "s3cret")


def test_signature_is_checked_over_what_was_signed(signed_environ):
    body = b"Action=GetCallerIdentity"
    verify(signed_environ(body=body), body, OURS)
    cases = {
        "InvalidClientTokenId": (signed_environ(key="AKIAOTHER"), body),
        "SignatureDoesNotMatch": (signed_environ(secret="guess"), body),
    }
    tampered = signed_environ(body=body)
    cases["SignatureDoesNotMatch "] = (tampered, b"Action=DeleteEverything")
    stale = signed_environ(when=datetime.now(timezone.utc) - timedelta(hours=1))
    cases["SignatureDoesNotMatch  "] = (stale, body)
    cases["MissingAuthenticationToken"] = ({"REQUEST_METHOD": "POST"}, body)
    for code, (environ, sent) in cases.items():
        with pytest.raises(SignatureError) as caught:
            verify(environ, sent, OURS)
        assert caught.value.code == code.strip()


def test_a_signed_header_that_is_missing_or_a_bad_date_is_refused(signed_environ):
    body = b"Action=GetCallerIdentity"
    no_date = signed_environ(body=body)
    no_date["HTTP_X_AMZ_DATE"] = "yesterday"
    with pytest.raises(SignatureError) as caught:
        verify(no_date, body, OURS)
    assert caught.value.code == "IncompleteSignature"
    dropped = signed_environ(body=body)
    del dropped["HTTP_HOST"]
    with pytest.raises(SignatureError, match="Signed header host is missing"):
        verify(dropped, body, OURS)


def test_a_temporary_key_needs_its_session_token(signed_environ):
    body = b"Action=GetCallerIdentity"
    issued = {"ASIATEMP": ("t3mp", "session-token")}
    verify(signed_environ(key="ASIATEMP", secret="t3mp", token="session-token"), body, issued.get)
    for environ in (signed_environ(key="ASIATEMP", secret="t3mp"),               # no token
                    signed_environ(key="ASIATEMP", secret="t3mp", token="guess")):
        with pytest.raises(SignatureError) as caught:
            verify(environ, body, issued.get)
        assert caught.value.code == "InvalidClientTokenId"


def test_the_server_knows_the_keys_its_sts_issued_until_they_expire():
    import datetime

    from moto import mock_aws
    from moto.sts.models import sts_backends

    from studio_containers.localaws.server.app import issued_key

    with mock_aws():
        role = sts_backends["123456789012"]["aws"].assume_role(
            region_name="us-east-1", role_session_name="SageMaker",
            role_arn="arn:aws:iam::123456789012:role/exec", policy="", duration=900,
            external_id="")
        assert issued_key(role.access_key_id) == (role.secret_access_key, role.session_token)
        assert issued_key("AKIANOTISSUED") is None
        role.expiration -= datetime.timedelta(seconds=901)
        assert issued_key(role.access_key_id) is None


def test_a_key_in_any_characters_is_refused_not_crashed_on(signed_environ):
    environ = signed_environ()
    environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"].replace("AKIAEXAMPLE", "AKIAÉXAMPLE")
    with pytest.raises(SignatureError) as caught:
        verify(environ, b"Action=GetCallerIdentity", OURS)
    assert caught.value.code in ("InvalidClientTokenId", "MissingAuthenticationToken")
