"""The server's WSGI layer: our signature only, no moto dashboard, state saved after changes."""
import json
from io import BytesIO

import pytest

from studio_containers.localaws.server.app import (
    EVENTS_PATH,
    LocalAwsApp,
    _action,
    _mutates,
)


class FakeState:
    def __init__(self):
        self.saves = 0
        self.behind = False

    def save(self) -> bool:
        self.saves += 1
        return True


class FakeEcr:
    def __init__(self):
        self.bodies = []

    def record_events(self, body: bytes) -> int:
        self.bodies.append(body)
        return 1


def moto_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/xml")])
    return [b"<ok/>"]


@pytest.fixture
def app():
    return LocalAwsApp(moto_app, FakeState(), FakeEcr(), "AKIAEXAMPLE", "s3cret", "events-token")


def call(app, environ: dict, body: bytes = b"") -> tuple[str, bytes]:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", **environ,
               "wsgi.input": BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status
    chunks = app(environ, start_response)
    return answer["status"], b"".join(chunks)


@pytest.mark.parametrize("environ, body, action", [
    ({"HTTP_X_AMZ_TARGET": "SageMaker.CreateImage", "REQUEST_METHOD": "POST"}, b"{}",
     "CreateImage"),
    ({"CONTENT_TYPE": "application/x-www-form-urlencoded", "REQUEST_METHOD": "POST"},
     b"Action=CreateRole&RoleName=r", "CreateRole"),
    ({"QUERY_STRING": "Action=DescribeVpcs", "REQUEST_METHOD": "POST"}, b"", "DescribeVpcs"),
    ({"REQUEST_METHOD": "PUT"}, b"", "PUT"),
])
def test_the_action_is_read_from_target_form_or_query(environ, body, action):
    assert _action(environ, body) == action


def test_only_changes_count_as_mutating():
    assert not _mutates({"REQUEST_METHOD": "GET"}, b"")
    assert not _mutates({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "SageMaker.ListImages"},
                        b"")
    assert _mutates({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "SageMaker.UpdateDomain"},
                    b"")


def test_a_signed_change_reaches_moto_and_is_saved(app, signed_environ):
    body = b"Action=CreateRole&RoleName=r"
    assert call(app, signed_environ(body=body), body) == ("200 OK", b"<ok/>")
    assert app.state.saves == 1
    read = b"Action=GetCallerIdentity"
    assert call(app, signed_environ(body=read), read) == ("200 OK", b"<ok/>")
    assert app.state.saves == 1


def test_unsigned_requests_and_the_moto_dashboard_are_refused(app):
    status, body = call(app, {"CONTENT_TYPE": "application/x-amz-json-1.1"}, b"{}")
    assert status == "403 Forbidden"
    assert json.loads(body)["__type"] == "MissingAuthenticationToken"
    status, body = call(app, {"CONTENT_TYPE": "application/x-www-form-urlencoded"}, b"")
    assert status == "403 Forbidden" and b"<Code>MissingAuthenticationToken</Code>" in body
    assert call(app, {"PATH_INFO": "/moto-api/reset"})[0] == "404 Not Found"
    assert app.state.saves == 0


def test_registry_events_need_the_event_token(app):
    events = b'{"events": []}'
    assert call(app, {"PATH_INFO": EVENTS_PATH, "HTTP_AUTHORIZATION": "Bearer guess"},
                events)[0] == "401 Unauthorized"
    assert call(app, {"PATH_INFO": EVENTS_PATH, "HTTP_AUTHORIZATION": "Bearer events-token"},
                events) == ("200 OK", b"ok")
    assert (app.ecr.bodies, app.state.saves) == ([events], 1)
