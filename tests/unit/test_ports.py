"""Local listener ports: on 127.0.0.1, a taken one named with the flag that chose it."""
import socket

import pytest

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
