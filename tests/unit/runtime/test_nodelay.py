"""local/gateway/nodelay.py: kernel websockets set TCP_NODELAY when they open (no Nagle wait)."""
import asyncio

from jupyter_server.services.kernels.websocket import KernelWebsocketHandler


def test_open_sets_nodelay_then_runs_the_original(monkeypatch, nodelay):
    calls = []

    async def original_open(self, kernel_id):
        calls.append(("open", kernel_id))

    monkeypatch.setattr(KernelWebsocketHandler, "open", original_open)
    monkeypatch.setattr(KernelWebsocketHandler, "_studio_containers_nodelay", False, raising=False)
    nodelay.apply()
    nodelay.apply()   # applying twice must not wrap twice

    class Handler:
        def set_nodelay(self, value):
            calls.append(("nodelay", value))
    asyncio.run(KernelWebsocketHandler.open(Handler(), "k1"))
    assert calls == [("nodelay", True), ("open", "k1")]
