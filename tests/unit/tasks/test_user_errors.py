"""A task's failures as the user sees them: our own errors and the libraries' known failures in
one line with exit 1, a bug with its traceback."""
import docker.errors
import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError
from invoke import Exit

from studio_containers.errors import UserError
from studio_containers.tasks import user_errors


def failing(exc):
    @user_errors
    def task():
        raise exc
    return task


@pytest.mark.parametrize("exc, line", [
    (UserError("images/x/image.yaml: name: missing"), "error: images/x/image.yaml: name: missing"),
    (docker.errors.APIError("500 Server Error", explanation="no space left on device\nmore"),
     "error: Docker engine: no space left on device"),
    (ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "CreateImage"),
     "error: CreateImage: AccessDenied: not allowed"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
     'error: AWS: Could not connect to the endpoint URL: "http://127.0.0.1:1"'),
    (requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())\nmore"),
     "error: a connection failed (the Docker engine or the local AWS stopped?): ('Connection "
     "aborted.', RemoteDisconnected())"),
])
def test_known_failures_are_one_line_and_exit_1(exc, line):
    with pytest.raises(Exit) as raised:
        failing(exc)()
    assert raised.value.message == line and raised.value.code == 1


def test_a_bug_keeps_its_traceback():
    with pytest.raises(KeyError):
        failing(KeyError("a bug"))()
