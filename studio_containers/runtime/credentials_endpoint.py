"""Studio's container credentials, locally: an app's code gets its execution role's credentials
from an endpoint, never the user's own keys.

Studio hands a KernelGateway app or a space its execution role through the container credentials
provider every AWS SDK reads. Here an HTTP endpoint on 127.0.0.1 plays that part: the container
gets `AWS_CONTAINER_CREDENTIALS_FULL_URI` (botocore takes a plain-http one only on loopback or
at the ECS/Studio endpoint address, which user-mode NAT sends here: runtime/user_nat.py) and
`AWS_CONTAINER_AUTHORIZATION_TOKEN`,
a random token per app that botocore sends as the Authorization header. Each answer is a
temporary key the local AWS's STS issues by AssumeRole of the app's role; the local AWS accepts
it (with its session token, until it expires) and reports the role in GetCallerIdentity.
`AWS_ENDPOINT_URL` points the SDKs at the local AWS, as Studio's VPC points them at AWS.

The role is asked for when credentials are: `invoke local` starts in seconds without the local
AWS, and a kernel that needs AWS then gets an answer that says to start it.
"""
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..ports import HOST

PATH = "/credentials"
REFRESH_BEFORE = 15 * 60        # seconds before expiry a key is replaced, as SDKs refresh early
DURATION = 3600
SESSION_NAME = "SageMaker"      # the session name Studio's execution role sessions carry


class Unavailable(Exception):
    """The credentials cannot be had now; the message says why and what to do."""


@dataclass
class _App:
    role: Callable[[], str]                 # the role's ARN, looked up when first needed
    cached: dict | None = None
    fresh_until: float = 0.0


# (role ARN, session name, seconds) → the STS answer's Credentials; raises Unavailable.
AssumeRole = Callable[[str, str, int], dict]


class CredentialsIssuer:
    """The apps that may ask, by token, and the answer to each request."""

    def __init__(self, assume_role: AssumeRole, aws_url: str, region: str):
        self.assume_role = assume_role
        self.aws_url, self.region = aws_url, region
        self.apps: dict[str, _App] = {}
        self.lock = threading.Lock()

    def add(self, role: Callable[[], str], url: str, token: str | None = None) -> dict[str, str]:
        """Registers an app (under `token`, or a new random one); returns the variables its
        container gets to reach `url`."""
        token = token or secrets.token_urlsafe(32)
        with self.lock:
            self.apps[token] = _App(role)
        return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": url,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": token,
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}

    def remove(self, token: str) -> None:
        with self.lock:
            self.apps.pop(token, None)

    def answer(self, authorization: str) -> tuple[int, dict]:
        """HTTP status and body for a request carrying `authorization`."""
        given = authorization.encode(errors="surrogateescape")    # any header bytes compare
        with self.lock:
            app = next((a for token, a in self.apps.items()
                        if hmac.compare_digest(token.encode(), given)), None)
        if app is None:
            return 401, {"code": "Unauthorized", "message": "unknown or missing authorization token"}
        with self.lock:
            if app.cached is not None and time.monotonic() < app.fresh_until:
                return 200, app.cached
        try:
            issued = self.assume_role(app.role(), SESSION_NAME, DURATION)
        except Unavailable as exc:     # the role lookup too may need the local AWS
            return 503, {"code": "Unavailable", "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - an answer, never a traceback on the terminal
            return 500, {"code": "InternalError", "message": f"{type(exc).__name__}: {exc}"}
        body = {"AccessKeyId": issued["AccessKeyId"], "SecretAccessKey": issued["SecretAccessKey"],
                "Token": issued["SessionToken"], "Expiration": _iso(issued["Expiration"])}
        with self.lock:
            app.cached, app.fresh_until = body, time.monotonic() + DURATION - REFRESH_BEFORE
        return 200, body


class CredentialsEndpoint:
    """The issuer served on a port of its own on 127.0.0.1, beside `invoke local`."""

    def __init__(self, issuer: CredentialsIssuer):
        self.issuer = issuer
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> "CredentialsEndpoint":
        issuer = self.issuer

        class Handler(_Handler):
            def answer(self, authorization: str) -> tuple[int, dict]:
                return issuer.answer(authorization)

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        threading.Thread(target=self.server.serve_forever, name="credentials endpoint",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}{PATH}"

    def add(self, role: Callable[[], str]) -> dict[str, str]:
        return self.issuer.add(role, self.url)


def _iso(expiration) -> str:
    if isinstance(expiration, datetime):
        return expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(expiration)


class _Handler(BaseHTTPRequestHandler):
    def answer(self, authorization: str) -> tuple[int, dict]:
        raise NotImplementedError

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.split("?", 1)[0] != PATH:
            status, body = 404, {"code": "NotFound", "message": f"only {PATH} is served"}
        else:
            status, body = self.answer(self.headers.get("Authorization", ""))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass    # each kernel's SDK asks now and then: not worth a line on the user's terminal
