"""The Nagle fix: kernel websockets set TCP_NODELAY when they open; the lab's config applies it."""
import asyncio
import importlib.util

from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

from studio_containers import PROJECT_ROOT
from studio_containers.local.lab import LabOptions, write_config
from tests.helpers import project_settings


def _nodelay_module():
    spec = importlib.util.spec_from_file_location(
        "nodelay_under_test", PROJECT_ROOT / "local" / "gateway" / "nodelay.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_open_sets_nodelay_then_runs_the_original(monkeypatch):
    calls = []

    async def original_open(self, kernel_id):
        calls.append(("open", kernel_id))

    monkeypatch.setattr(KernelWebsocketHandler, "open", original_open)
    monkeypatch.setattr(KernelWebsocketHandler, "_studio_containers_nodelay", False, raising=False)
    _nodelay_module().apply()
    _nodelay_module().apply()   # applying twice must not wrap twice

    class Handler:
        def set_nodelay(self, value):
            calls.append(("nodelay", value))
    asyncio.run(KernelWebsocketHandler.open(Handler(), "k1"))
    assert calls == [("nodelay", True), ("open", "k1")]


def test_the_lab_config_applies_it_unless_turned_off(tmp_path):
    opts = LabOptions(port=1, token="t", gateway_url="http://127.0.0.1:2", gateway_token="g",
                      root_dir=tmp_path, state_dir=tmp_path)
    write_config(opts)
    config = (tmp_path / "jupyter-config" / "jupyter_server_config.py").read_text()
    assert "nodelay.apply()" in config
    write_config(LabOptions(**{**opts.__dict__, "tcp_nodelay": False}))
    without = (tmp_path / "jupyter-config" / "jupyter_server_config.py").read_text()
    assert "nodelay" not in without
    relay = "kernel_websocket_connection_class = relay.DeferredGatewayConnection"
    assert relay in config and relay in without   # not a Nagle matter: always on
    assert project_settings(local__tcp_nodelay="false").tcp_nodelay is False
