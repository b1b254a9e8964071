"""runtime/gateway.wait_ready: the gateway's port probed often, the engine asked only when the
port does not answer as the gateway would, and a gateway that exited told at once."""
from unittest import mock

import pytest
import requests

from studio_containers.errors import UserError
from studio_containers.runtime import gateway
from studio_containers.wait import WaitTimeout
from tests.helpers import made_up_spec


@pytest.fixture
def gc(tmp_path):
    return gateway.gateway_container(made_up_spec(), "img", mock.Mock(entrypoint=["x"], volume="v"),
                                     tmp_path, "token", 1, tmp_path)


def container(status="running", exit_code=0):
    c = mock.Mock(status=status, attrs={"State": {"ExitCode": exit_code}})
    c.name = "gw"
    c.logs.return_value = b"the gateway's last words\n"
    return c


def answers(*replies):
    """requests.get answering each probe in turn: an HTTP status, or an exception to raise."""
    replies = list(replies)

    def get(url, **kw):
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, Exception):
            raise reply
        return mock.Mock(status_code=reply)
    return get


def test_a_gateway_that_comes_up_is_never_inspected_by_the_engine(gc, monkeypatch):
    monkeypatch.setattr(gateway, "EXIT_CHECK_SECONDS", 3600)    # however slow the machine
    monkeypatch.setattr(gateway.requests, "get", answers(requests.ConnectionError("refused"),
                                                         requests.ConnectionError("refused"), 200))
    running = container()
    gateway.wait_ready(running, gc, made_up_spec(), timeout=5)
    running.reload.assert_not_called()


@pytest.mark.parametrize("reply", [requests.ConnectionError("refused"), 404])
def test_a_gateway_that_exited_is_told_even_when_something_else_answers_its_port(
        gc, monkeypatch, reply):
    monkeypatch.setattr(gateway, "EXIT_CHECK_SECONDS", 0)
    monkeypatch.setattr(gateway.requests, "get", answers(reply))
    exited = container("exited", exit_code=1)
    with pytest.raises(UserError) as info:
        gateway.wait_ready(exited, gc, made_up_spec(), timeout=1)
    assert not isinstance(info.value, WaitTimeout) and "exited" in str(info.value), info.value
    exited.reload.assert_called()
