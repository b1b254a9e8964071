"""Local listener ports: on 127.0.0.1, a taken one named with the flag that chose it."""
import socket

import pytest

from studio_containers import ports
from studio_containers.errors import UserError
from studio_containers.ports import ensure_free, free_port


def test_port_in_use_is_refused_with_the_flag_named():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with pytest.raises(UserError, match=rf"--port {busy}: 127.0.0.1:{busy} is already in use"):
            ensure_free(busy, "--port")
    for port in (ensure_free(0, "--port"), free_port()):
        assert port != busy
        with socket.socket() as s:       # a port 0 or an unusable one would fail to bind here
            s.bind(("127.0.0.1", port))
            assert s.getsockname()[1] == port


def test_a_port_released_soon_is_waited_for_and_one_held_is_not():
    import socket
    import threading

    from studio_containers.ports import HOST, free_port, wait_free

    port = free_port()
    held = socket.socket()
    held.bind((HOST, port))
    held.listen()
    assert wait_free(port, timeout=0.3) is False
    threading.Timer(0.3, held.close).start()
    assert wait_free(port, timeout=5) is True


def test_the_holder_of_a_port_is_named():
    import os
    import socket

    from studio_containers.ports import HOST, free_port, holders

    port = free_port()
    with socket.socket() as held:
        held.bind((HOST, port))
        held.listen()
        [held_by] = holders(port)
    assert held_by.startswith(f"listening by pid {os.getpid()} (") and "python" in held_by


def test_a_holder_on_every_address_is_named_too():
    """A socket on 0.0.0.0 keeps 127.0.0.1:port from being bound as well."""
    import os
    import socket

    from studio_containers.ports import free_port, holders

    port = free_port()
    with socket.socket() as held:
        held.bind(("0.0.0.0", port))
        held.listen()
        with pytest.raises(UserError, match="already in use"):
            ensure_free(port, "--port")
        [held_by] = holders(port)
    assert held_by.startswith(f"listening by pid {os.getpid()} (") and "python" in held_by
    assert holders(port) == []


def test_a_port_chosen_is_not_chosen_again_nor_one_to_avoid(monkeypatch):
    """The kernel may give out a port again until its listener binds it: a lab's --port and the
    gateway's port chosen next must differ (a CI run once saw both at 41077)."""
    monkeypatch.setattr(ports, "_GIVEN", set())
    script = iter([41077, 41077, 41078, 41078, 41079])
    monkeypatch.setattr(ports, "_any_free_port", lambda: next(script))
    assert ports.free_port(avoid=(41077,)) == 41078
    assert ports.free_port() == 41079           # 41078 was given out already
    monkeypatch.setattr(ports, "_any_free_port", lambda: 41078)
    with pytest.raises(UserError, match="no free port found"):
        ports.free_port()
