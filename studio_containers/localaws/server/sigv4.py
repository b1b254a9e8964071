"""Checks AWS Signature Version 4 on incoming requests: the local AWS answers only its own key
and the temporary keys its STS issued (an app's execution role, through the container
credentials endpoint), the latter with their session token and until they expire.

The signature is recomputed with botocore's signer over the headers the client says it signed,
so boto3, the AWS CLI and Terraform's Go SDK are all checked the same way.
"""
import hmac
import re
from collections.abc import Callable
from datetime import datetime, timezone

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$")
MAX_SKEW_SECONDS = 15 * 60


class SignatureError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _header(environ: dict, name: str) -> str | None:
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


# An access key id → its secret and session token (None for a long-term key), or None when the
# local AWS does not know the key (or no longer: an expired temporary one).
KeyLookup = Callable[[str], "tuple[str, str | None] | None"]


def only(access_key_id: str, secret_access_key: str) -> KeyLookup:
    """The lookup of a single long-term key."""
    return lambda key: ((secret_access_key, None) if same_text(key, access_key_id) else None)


def same_text(given: str, expected: str) -> bool:
    """Constant-time, for any header text (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode(errors="surrogateescape"), expected.encode())


def verify(environ: dict, body: bytes, keys: KeyLookup) -> None:
    match = AUTHORIZATION.match(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        raise SignatureError("MissingAuthenticationToken",
                             "Request is missing a valid AWS Signature Version 4 Authorization.")
    known = keys(match["key"])
    if known is None:
        raise SignatureError("InvalidClientTokenId",
                             "The security token included in the request is invalid.")
    secret_access_key, session_token = known
    if session_token is not None and not same_text(_header(environ, "x-amz-security-token") or "",
                                               session_token):
        raise SignatureError("InvalidClientTokenId",
                             "The security token included in the request is invalid.")
    amz_date = _header(environ, "x-amz-date") or ""
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise SignatureError("IncompleteSignature", "X-Amz-Date is missing or malformed.") from None
    if abs((datetime.now(timezone.utc) - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise SignatureError("SignatureDoesNotMatch", "Signature expired: X-Amz-Date is more "
                             "than 15 minutes from the server's time.")
    headers = {}
    for name in match["headers"].split(";"):
        value = _header(environ, name)
        if value is None:
            raise SignatureError("SignatureDoesNotMatch", f"Signed header {name} is missing.")
        headers[name] = value
    query = environ.get("QUERY_STRING", "")
    # The path as sent: PATH_INFO is already percent-decoded, the signature is over the raw one.
    path = (environ.get("RAW_URI") or environ.get("PATH_INFO") or "/").split("?", 1)[0]
    url = f"http://{environ.get('HTTP_HOST', 'localhost')}{path}"
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=url + (f"?{query}" if query else ""),
                         headers=headers, data=body)
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(match["key"], secret_access_key),
                       match["service"], match["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise SignatureError("SignatureDoesNotMatch", "The request signature we calculated does "
                             "not match the signature you provided.")
