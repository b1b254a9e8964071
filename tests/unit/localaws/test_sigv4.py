"""AWS Signature Version 4 on incoming requests: only our key, only what was signed, in time."""
from datetime import datetime, timedelta, timezone

import pytest

from studio_containers.localaws.sigv4 import SignatureError, verify


def test_signature_is_checked_over_what_was_signed(signed_environ):
    body = b"Action=GetCallerIdentity"
    verify(signed_environ(body=body), body, "AKIAEXAMPLE", "s3cret")
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
            verify(environ, sent, "AKIAEXAMPLE", "s3cret")
        assert caught.value.code == code.strip()


def test_a_signed_header_that_is_missing_or_a_bad_date_is_refused(signed_environ):
    body = b"Action=GetCallerIdentity"
    no_date = signed_environ(body=body)
    no_date["HTTP_X_AMZ_DATE"] = "yesterday"
    with pytest.raises(SignatureError) as caught:
        verify(no_date, body, "AKIAEXAMPLE", "s3cret")
    assert caught.value.code == "IncompleteSignature"
    dropped = signed_environ(body=body)
    del dropped["HTTP_HOST"]
    with pytest.raises(SignatureError, match="Signed header host is missing"):
        verify(dropped, body, "AKIAEXAMPLE", "s3cret")
