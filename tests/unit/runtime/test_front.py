"""The token front against a real app on 127.0.0.1 (a small tornado app standing in for a space's
JupyterLab): nothing passes without the token, everything passes with it, HTTP and websockets."""
import asyncio
import json
import threading

import pytest
import requests
import websocket
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketHandler

from studio_containers.ports import free_port
from studio_containers.runtime.front import COOKIE, TokenFront

TOKEN = "front-token"


class Echo(RequestHandler):
    """Answers with what reached the app: method, path, query, the headers that matter, body."""

    def _answer(self):
        if self.request.path.endswith("/redirect"):
            self.redirect("/jupyterlab/default/lab")
            return
        self.set_header("X-App", "yes")
        self.write({"method": self.request.method, "path": self.request.path,
                    "query": self.request.query, "body": self.request.body.decode(),
                    "authorization": self.request.headers.get("Authorization"),
                    "host": self.request.headers.get("Host"),
                    "xsrf_cookie": self.get_cookie("_xsrf"), "other_cookie": self.get_cookie("other"),
                    "xsrf_header": self.request.headers.get("X-XSRFToken"),
                    "cookie_header": self.request.headers.get("Cookie")})

    get = post = put = delete = _answer


class EchoSocket(WebSocketHandler):
    def select_subprotocol(self, subprotocols):
        return "v1.kernel.websocket.jupyter.org" if "v1.kernel.websocket.jupyter.org" in subprotocols else None

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


@pytest.fixture(scope="module")
def app_port():
    port, started = free_port(), threading.Event()
    loop = asyncio.new_event_loop()

    def serve():
        asyncio.set_event_loop(loop)
        HTTPServer(Application([(r".*/channels", EchoSocket), (r".*", Echo)])).listen(port, "127.0.0.1")
        started.set()
        loop.run_forever()
    threading.Thread(target=serve, daemon=True).start()
    started.wait()
    yield port
    loop.call_soon_threadsafe(loop.stop)


@pytest.fixture
def front(app_port):
    front = TokenFront(free_port(), TOKEN, app_port).start()
    yield front
    front.stop()


def url(front, path="/jupyterlab/default/api/status", **query) -> str:
    return front.url + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("auth", [{}, {"params": {"token": "wrong"}},
                                  {"headers": {"Authorization": "token wrong"}},
                                  {"cookies": {COOKIE: "guessed"}}])
def test_http_without_the_token_is_refused(front, auth):
    if "cookies" in auth:
        auth = {"cookies": {f"{COOKIE}-{front.port}": "guessed"}}
    reply = requests.get(url(front), timeout=10, **auth)
    assert reply.status_code == 403 and "X-App" not in reply.headers


def test_the_token_in_the_query_passes_and_leaves_a_cookie_that_passes_alone(front):
    with requests.Session() as browser:
        reply = browser.get(url(front, token=TOKEN, other="1"), timeout=10)
        assert reply.status_code == 200 and reply.headers["X-App"] == "yes"
        seen = reply.json()
        assert seen["query"] == "other=1"                     # the front's token stays with it
        assert seen["host"] == front.url.removeprefix("http://")   # the app sees the Host it was asked as
        cookie = next(c for c in browser.cookies if c.name == f"{COOKIE}-{front.port}")
        assert cookie.value != TOKEN and cookie.has_nonstandard_attr("HttpOnly")
        by_cookie = browser.get(url(front), timeout=10, cookies={"other": "kept"})
        assert by_cookie.status_code == 200
        assert by_cookie.json()["other_cookie"] == "kept"       # the app's own cookies pass,
        assert COOKIE not in by_cookie.json()["cookie_header"]  # the front's do not


def test_two_fronts_keep_a_cookie_each(app_port):
    """Browsers share cookies across ports: one space opened must not sign another out."""
    first, second = (TokenFront(free_port(), t, app_port).start() for t in ("one", "two"))
    try:
        with requests.Session() as browser:
            assert browser.get(url(first, token="one"), timeout=10).status_code == 200
            assert browser.get(url(second, token="two"), timeout=10).status_code == 200
            assert browser.get(url(first), timeout=10).status_code == 200
            assert browser.get(url(second), timeout=10).status_code == 200
    finally:
        first.stop()
        second.stop()


def test_the_token_in_the_header_passes_and_is_not_relayed(front):
    reply = requests.post(url(front, "/jupyterlab/default/api/contents"), data="payload", timeout=10,
                          headers={"Authorization": f"token {TOKEN}"})
    assert reply.status_code == 200
    seen = reply.json()
    assert {k: seen[k] for k in ("method", "path", "query", "body", "authorization", "host")} == {
        "method": "POST", "path": "/jupyterlab/default/api/contents", "query": "",
        "body": "payload", "authorization": None, "host": front.url.removeprefix("http://")}


def test_token_requests_skip_xsrf_as_in_jupyter_but_browser_requests_keep_it(front):
    # Jupyter exempts token-authenticated requests from its XSRF check: the app gets a matching pair.
    by_token = requests.post(url(front, "/jupyterlab/default/api/kernels"), timeout=10,
                             headers={"Authorization": f"token {TOKEN}"},
                             cookies={"other": "kept", "_xsrf": "stale"}).json()
    assert by_token["xsrf_cookie"] and by_token["xsrf_cookie"] == by_token["xsrf_header"] != "stale"
    assert by_token["other_cookie"] == "kept"
    # A browser lands with ?token=: the app must see no _xsrf cookie, so that it sets its own.
    with requests.Session() as browser:
        landing = browser.get(url(front, token=TOKEN), timeout=10).json()
        assert landing["xsrf_cookie"] is None and landing["xsrf_header"] is None
        # Then, known by the front's cookie, it sends JupyterLab's own pair; the front adds none.
        by_cookie = browser.post(url(front, "/jupyterlab/default/api/kernels"), timeout=10).json()
    assert by_cookie["xsrf_cookie"] is None and by_cookie["xsrf_header"] is None


def test_redirects_are_passed_to_the_client(front):
    reply = requests.get(url(front, "/jupyterlab/default/redirect", token=TOKEN), timeout=10,
                         allow_redirects=False)
    assert reply.status_code == 302 and reply.headers["Location"] == "/jupyterlab/default/lab"


def test_a_websocket_without_the_token_is_refused(front):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(url(front, "/jupyterlab/default/api/kernels/k/channels")
                                    .replace("http", "ws"), timeout=10)
    assert info.value.status_code == 403


def test_a_websocket_with_the_token_relays_both_ways_with_the_apps_subprotocol(front):
    ws = websocket.create_connection(
        url(front, "/jupyterlab/default/api/kernels/k/channels").replace("http", "ws"),
        header=[f"Authorization: token {TOKEN}"], timeout=10,
        subprotocols=["v1.kernel.websocket.jupyter.org"])
    try:
        assert ws.getsubprotocol() == "v1.kernel.websocket.jupyter.org"
        ws.send(json.dumps({"hello": 1}))
        assert json.loads(ws.recv()) == {"hello": 1}
        ws.send_binary(b"\x00\x01binary")
        assert ws.recv() == b"\x00\x01binary"
    finally:
        ws.close()


def test_an_app_that_does_not_answer_is_a_502(app_port):
    front = TokenFront(free_port(), TOKEN, free_port()).start()   # nothing listens upstream
    try:
        reply = requests.get(url(front, token=TOKEN), timeout=10)
        assert reply.status_code == 502 and "does not answer" in reply.text
    finally:
        front.stop()


def test_the_front_listens_on_loopback_only(front):
    import socket
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", front.port)) == 0
