"""The token front of a local space: Studio runs a space's app without a token, so `invoke local`
puts its own random token in front of it, on 127.0.0.1.

A request is let through when it carries the token the ways Jupyter accepts one (`?token=…`,
`Authorization: token …`), or the cookie the front sets on the first such request (so a browser
keeps working after the URL loses its `?token=`). Everything else, HTTP or websocket, is refused
with 403. Accepted requests are relayed to the app's port as they came (same Host, path and
Origin, which the apps check), minus the front's own token.

Jupyter exempts token-authenticated requests from its XSRF check, since a page of another site
cannot know the token. The app behind the front has no token, so for a state-changing request
that carried the front's token the front adds a matching XSRF cookie and header; browser
requests, authenticated by the cookie, keep JupyterLab's own XSRF protection.
"""
import asyncio
import hmac
import secrets
from urllib.parse import parse_qsl, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.routing import AnyMatches, Matcher, Rule, RuleRouter
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketClosedError, WebSocketHandler, websocket_connect

from ..ports import HOST
from ..tornado_thread import ServerThread

COOKIE = "studio-containers-front"
# Hop-by-hop headers (RFC 9110 7.6.1) and what the relay sets itself.
NOT_RELAYED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade", "content-length"}
WEBSOCKET_HANDSHAKE = {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
                       "sec-websocket-protocol"}
REQUEST_TIMEOUT = 3600      # long polls and slow first loads of a space's app
XSRF_COOKIE = "_xsrf"       # tornado's, which jupyter_server and JupyterLab use


class _Auth:
    def __init__(self, token: str, port: int):
        self.token = token
        self.cookie_value = secrets.token_urlsafe(32)   # never the token itself
        # Browsers share cookies across ports: each front has a name of its own (as Jupyter's
        # username-<host>-<port>), so two spaces open at once do not overwrite each other's.
        self.cookie = f"{COOKIE}-{port}"

    def check(self, handler: RequestHandler) -> str | None:
        """How the request proved itself: "token", "cookie", or None. Sets the cookie on a token."""
        given = handler.get_query_argument("token", None) or header_token(handler)
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            handler.set_cookie(self.cookie, self.cookie_value, httponly=True, samesite="Strict")
            return "token"
        cookie = handler.get_cookie(self.cookie)
        if cookie is not None and hmac.compare_digest(cookie.encode(), self.cookie_value.encode()):
            return "cookie"
        return None


def header_token(handler: RequestHandler) -> str | None:
    """The token of an `Authorization: token …` header, as Jupyter clients send it."""
    scheme, _, value = handler.request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "token" else None


def _upstream_url(handler: RequestHandler, base: str, scheme: str) -> str:
    request = handler.request
    query = urlencode([(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True)
                       if k != "token"])
    return f"{scheme}://{base}{request.path}" + (f"?{query}" if query else "")


def _relayed_headers(handler: RequestHandler, skip: set[str]) -> dict[str, str]:
    headers = {}
    for name, value in handler.request.headers.get_all():
        lower = name.lower()
        if lower in skip or (lower == "authorization" and header_token(handler) is not None):
            continue
        if lower == "cookie":   # the fronts' own cookies are theirs: no app sees them
            value = "; ".join(c.strip() for c in value.split(";")
                              if c.strip() and not c.strip().startswith(COOKIE + "-"))
            if not value:
                continue
        headers[name] = f"{headers[name]}; {value}" if lower == "cookie" and name in headers else (
            f"{headers[name]}, {value}" if name in headers else value)
    return headers


def _with_xsrf_pair(headers: dict[str, str]) -> dict[str, str]:
    """A matching XSRF cookie and header, as Jupyter's token-authenticated requests need none."""
    value = secrets.token_hex(16)
    cookie_name = next((n for n in headers if n.lower() == "cookie"), "Cookie")
    kept = [c for c in headers.get(cookie_name, "").split(";")
            if c.strip() and not c.strip().startswith(XSRF_COOKIE + "=")]
    headers[cookie_name] = "; ".join([*(c.strip() for c in kept), f"{XSRF_COOKIE}={value}"])
    headers["X-XSRFToken"] = value
    return headers


class HttpRelay(RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def initialize(self, auth: _Auth, upstream: str):
        self.auth, self.upstream = auth, upstream

    async def _relay(self):
        proof = self.auth.check(self)
        if proof is None:
            self.send_error(403)
            return
        headers = _relayed_headers(self, NOT_RELAYED)
        # Only where Jupyter checks XSRF: a page loaded with ?token= must get JupyterLab's own
        # _xsrf cookie, which it sets only when the request has none.
        if proof == "token" and self.request.method not in ("GET", "HEAD", "OPTIONS"):
            headers = _with_xsrf_pair(headers)
        body = self.request.body if self.request.method in ("POST", "PATCH", "PUT") else None
        request = HTTPRequest(_upstream_url(self, self.upstream, "http"), method=self.request.method,
                              headers=headers, body=body,
                              follow_redirects=False, decompress_response=False,
                              allow_nonstandard_methods=True, request_timeout=REQUEST_TIMEOUT)
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as exc:          # nothing listens, or the connection broke
            self.send_error(502, reason=f"the space's app does not answer: {exc.strerror or exc}")
            return
        if response.code == 599:        # a time-out: raise_error=False still reports it this way
            self.send_error(502, reason=f"the space's app does not answer: {response.error}")
            return
        self.set_status(response.code, response.reason)
        self._headers.clear()
        for name, value in response.headers.get_all():
            if name.lower() not in NOT_RELAYED:
                self.add_header(name, value)
        if response.body and self.request.method != "HEAD" and response.code not in (204, 304):
            self.write(response.body)

    get = head = post = delete = patch = put = options = _relay

    def write_error(self, status_code: int, **kwargs) -> None:
        self.finish(f"{status_code}: {'a token is required' if status_code == 403 else self._reason}\n")


class WebSocketRelay(WebSocketHandler):
    def initialize(self, auth: _Auth, upstream: str):
        self.auth, self.upstream_base = auth, upstream
        self.upstream = None

    def allowed(self) -> bool:
        return self.auth.check(self) is not None

    def upstream_request(self) -> HTTPRequest:
        return HTTPRequest(_upstream_url(self, self.upstream_base, "ws"),
                           headers=_relayed_headers(self, NOT_RELAYED | WEBSOCKET_HANDSHAKE),
                           request_timeout=REQUEST_TIMEOUT)

    async def get(self, *args, **kwargs):
        if not self.allowed():
            self.set_status(403)
            self.finish("403: a token is required\n")
            return
        offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")
                   if p.strip()]
        request = self.upstream_request()
        try:
            self.upstream = await websocket_connect(request, subprotocols=offered or None)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the app is the same to the client
            self.set_status(502)
            self.finish(f"502: the app refused the websocket: {exc}\n")
            return
        await super().get(*args, **kwargs)

    def select_subprotocol(self, subprotocols):
        return self.upstream.selected_subprotocol if self.upstream else None

    def open(self, *args, **kwargs):
        self.set_nodelay(True)
        asyncio.ensure_future(self._from_upstream())

    async def _from_upstream(self):
        while True:     # a relay, not a wait: it ends with the upstream's connection
            message = await self.upstream.read_message()
            if message is None:
                self.close()
                return
            try:
                await self.write_message(message, binary=isinstance(message, bytes))
            except WebSocketClosedError:
                return

    async def on_message(self, message):
        await self.upstream.write_message(message, binary=isinstance(message, bytes))

    def on_close(self):
        if self.upstream is not None:
            self.upstream.close()


class _IsWebSocket(Matcher):
    def match(self, request):
        return {} if request.headers.get("Upgrade", "").lower() == "websocket" else None


class TokenFront(ServerThread):
    """The front, served from a thread of its own until stop()."""

    def __init__(self, port: int, token: str, upstream_port: int):
        self.token = token
        auth, upstream = _Auth(token, port), f"{HOST}:{upstream_port}"
        kwargs = {"auth": auth, "upstream": upstream}
        router = RuleRouter([
            Rule(_IsWebSocket(), Application([(r".*", WebSocketRelay, kwargs)],
                                             websocket_ping_interval=30)),
            Rule(AnyMatches(), Application([(r".*", HttpRelay, kwargs)])),
        ])
        super().__init__(router, port, "token-front")
