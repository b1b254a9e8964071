"""The lab takes the Host an app container under user-mode NAT reaches it by, and no other new one;
a presigned URL names this machine as its caller reached it."""
import importlib.util
from types import SimpleNamespace

import pytest
from jupyter_server.base.handlers import JupyterHandler

from studio_containers.localaws.apps.responses import _this_machine_as_reached
from studio_containers.runtime import user_nat
from studio_containers.runtime.lab import LAB_HELPERS


@pytest.fixture
def hosts(monkeypatch):
    spec = importlib.util.spec_from_file_location("hosts", LAB_HELPERS / "hosts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(JupyterHandler, "check_host", JupyterHandler.check_host)  # restored after
    module.allow_the_host_as_apps_reach_it()
    return module


def _check(host: str, remote_ip: str) -> bool:
    handler = SimpleNamespace(request=SimpleNamespace(host=host, remote_ip=remote_ip),
                              settings={}, log=SimpleNamespace(warning=lambda *a, **k: None))
    return JupyterHandler.check_host(handler)


def test_it_names_the_address_user_nat_gives_this_machine(hosts):
    assert hosts.APPS_REACH_IT_AT == user_nat.HOST_LOOPBACK


@pytest.mark.parametrize("host, remote_ip, allowed", [
    ("10.0.2.2:8888", "127.0.0.1", True),       # a kernel under user-mode NAT
    ("127.0.0.1:8888", "127.0.0.1", True),      # as before
    ("localhost:8888", "127.0.0.1", True),
    ("10.0.2.2:8888", "192.168.1.5", False),    # not through this machine's loopback
    ("evil.example:8888", "127.0.0.1", False),  # DNS rebinding: still refused
    ("10.0.2.3:8888", "127.0.0.1", False),
])
def test_only_that_host_is_added(hosts, host, remote_ip, allowed):
    assert _check(host, remote_ip) is allowed


@pytest.mark.parametrize("header, expected", [
    ("127.0.0.1:5566", "127.0.0.1"), ("localhost:5566", "127.0.0.1"), ("", "127.0.0.1"),
    ("10.0.2.2:5566", "10.0.2.2"), ("evil.example:5566", "127.0.0.1"),
])
def test_a_presigned_url_names_this_machine_as_its_caller_reached_it(header, expected):
    assert _this_machine_as_reached(header) == expected
