"""runtime/start.py, the path `invoke local` and CreateApp both start apps by: the network is
told before credentials are made, credentials only where the network reaches this machine, and
a space's token front listens before its app and never outlives a failed start or a stop."""
import socket
from unittest import mock

import pytest

from studio_containers.errors import UserError
from studio_containers.ports import free_port
from studio_containers.runtime import start
from studio_containers.runtime.network import BRIDGE, HOST_NETWORK, USER_NAT, AppNetwork
from tests.helpers import made_up_spec

SPACE = made_up_spec(name="lab", app_type="JupyterLab", kernels=())


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("mode, offered", [(BRIDGE, False), (HOST_NETWORK, True), (USER_NAT, True)])
def test_credentials_are_made_only_where_the_network_reaches_this_machine(monkeypatch, mode,
                                                                          offered):
    network = AppNetwork(mode, "why")
    events = []
    monkeypatch.setattr(start, "app_network", lambda *args, **kwargs: network)
    placed = start.place(None, "auto", space=False, access="PublicInternetOnly", access_from="x",
                         credentials=lambda: events.append("credentials") or {"A": "1"},
                         chosen=lambda n: events.append(("chosen", n.mode)))
    assert placed.network is network
    assert placed.aws == ({"A": "1"} if offered else None)
    assert events == [("chosen", mode)] + (["credentials"] if offered else [])


def test_the_network_asked_for_is_what_the_choice_gets(monkeypatch):
    chosen = mock.Mock(return_value=AppNetwork(BRIDGE, "why"))
    monkeypatch.setattr(start, "app_network", chosen)
    start.place("client", "bridge", space=True, access="VpcOnly", access_from="domain d-1",
                credentials=dict)
    chosen.assert_called_once_with("client", "bridge", space=True, access="VpcOnly",
                                   access_from="domain d-1")


def test_the_front_listens_while_the_space_starts_and_serves_after(monkeypatch):
    port, seen = free_port(), []

    def started(client, sc, spec, timeout, hint):
        seen.append(listening(port))     # the URL works the moment the app answers
        return "container", "/jupyterlab/default"
    monkeypatch.setattr(start, "start_space", started)
    removed = []
    monkeypatch.setattr(start, "remove", removed.append)
    space = start.serve_space(None, mock.Mock(host_port=free_port()), SPACE, front_port=port,
                              front_token="t", timeout=1, hint="h")
    assert seen == [True]
    assert (space.container, space.base_path) == ("container", "/jupyterlab/default")
    space.stop()
    assert removed == ["container"] and not listening(port)


def test_a_space_that_fails_to_start_leaves_no_front(monkeypatch):
    port = free_port()

    def failed(*args, **kwargs):
        raise UserError("the app's process exited")
    monkeypatch.setattr(start, "start_space", failed)
    with pytest.raises(UserError, match="exited"):
        start.serve_space(None, mock.Mock(host_port=free_port()), SPACE, front_port=port,
                          front_token="t", timeout=1, hint="h")
    assert not listening(port)


def test_a_stop_whose_container_removal_fails_still_stops_the_front(monkeypatch):
    port = free_port()
    monkeypatch.setattr(start, "start_space", lambda *args, **kwargs: ("container", "/"))
    space = start.serve_space(None, mock.Mock(host_port=free_port()), SPACE, front_port=port,
                              front_token="t", timeout=1, hint="h")
    monkeypatch.setattr(start, "remove", mock.Mock(side_effect=RuntimeError("engine gone")))
    with pytest.raises(RuntimeError):
        space.stop()
    assert not listening(port)
