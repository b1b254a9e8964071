"""The local JupyterLab's relay to the gateway (local/lab/relay.py) with a real lab and gateway
(python-basic's; the relay does not depend on the image).

JupyterLab's first kernel websocket offers the v1 subprotocol; a gateway-backed lab selects none,
so browsers drop that socket and reconnect. The gateway must not keep a connection for the dropped
socket: it would hold the kernel's shell identity and the real connection would get no replies.
"""
import asyncio
import importlib.util
import json
import secrets
import time
import uuid

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from studio_containers.ports import free_port
from studio_containers.runtime.lab import LAB_HELPERS, LabOptions, start_lab, stop_lab

V1 = "v1.kernel.websocket.jupyter.org"
# Importing relay.py only defines its connection class; the lab's config file is what installs it.
_spec = importlib.util.spec_from_file_location("relay_under_test", LAB_HELPERS / "relay.py")
_relay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_relay)
GRACE_SECONDS = _relay.GRACE_SECONDS


@pytest.fixture
def lab_and_gateway(make_gateway, python_basic, tmp_path):
    with make_gateway(python_basic.spec, python_basic.ref) as gw:
        opts = LabOptions(port=free_port(), token=secrets.token_urlsafe(16), gateway_url=gw.gc.url,
                          gateway_token=gw.token, root_dir=tmp_path, state_dir=tmp_path / "lab")
        lab = start_lab(opts, timeout=60)
        try:
            yield opts, gw
        finally:
            stop_lab(lab)


def _kernel(opts) -> str:
    r = requests.post(f"{opts.url}/api/kernels", json={"name": "python3"}, timeout=60,
                      headers={"Authorization": f"token {opts.token}"})
    r.raise_for_status()
    return r.json()["id"]


def _gateway_connections(gw, kernel_id) -> int:
    return gw.get(f"/api/kernels/{kernel_id}", gw.token).json()["connections"]


async def _connections_over(gw, kernel_id, seconds: float) -> list[int]:
    """The gateway's connection count for the kernel, sampled every 0.1 s for `seconds`."""
    samples, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(_gateway_connections(gw, kernel_id))
        await asyncio.sleep(0.1)
    return samples


def _request(session: str) -> str:
    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "username": "test", "session": session,
                                  "msg_type": "kernel_info_request", "version": "5.3", "date": ""},
                       "parent_header": {}, "metadata": {}, "channel": "shell", "content": {}})


async def _kernel_info(ws, session: str, timeout: float = 30) -> dict:
    await ws.write_message(_request(session))

    async def reply():
        while True:
            message = await ws.read_message()
            assert message is not None, "the lab closed the kernel websocket"
            message = json.loads(message)
            if message["msg_type"] == "kernel_info_reply":
                return message["content"]
    return await asyncio.wait_for(reply(), timeout)


def _connect(opts, kernel_id, session, subprotocols=None):
    url = (opts.url.replace("http://", "ws://")
           + f"/api/kernels/{kernel_id}/channels?session_id={session}")
    return websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {opts.token}"}),
                             subprotocols=subprotocols)


def test_a_socket_browsers_drop_leaves_no_gateway_connection(lab_and_gateway):
    opts, gw = lab_and_gateway
    kernel_id, session = _kernel(opts), str(uuid.uuid4())

    async def dropped_then_real():
        first = await _connect(opts, kernel_id, session, [V1])
        assert first.selected_subprotocol is None   # what makes a browser drop it
        first.close()
        # Watched through the whole grace period and beyond: the gateway never gets a connection.
        after_drop = await _connections_over(gw, kernel_id, GRACE_SECONDS + 1.5)
        second = await _connect(opts, kernel_id, session)
        info = await _kernel_info(second, session)
        during = _gateway_connections(gw, kernel_id)
        second.close()
        return after_drop, info, during

    after_drop, info, during = asyncio.run(dropped_then_real())
    assert after_drop and set(after_drop) == {0}
    assert info["implementation"] == "ipython"
    assert during == 1


def test_a_client_that_keeps_the_legacy_socket_gets_replies_to_early_messages(lab_and_gateway):
    opts, gw = lab_and_gateway
    kernel_id, session = _kernel(opts), str(uuid.uuid4())

    async def keeps_it():
        ws = await _connect(opts, kernel_id, session, [V1])
        started = time.monotonic()
        info = await _kernel_info(ws, session)     # sent before the relay reaches the gateway
        ws.close()
        return info, time.monotonic() - started

    info, waited = asyncio.run(keeps_it())
    assert info["implementation"] == "ipython"
    assert waited >= GRACE_SECONDS
