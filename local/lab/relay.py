"""Keeps the local JupyterLab from opening a second, orphaned gateway connection per kernel.

JupyterLab first opens a kernel websocket offering the "v1.kernel.websocket.jupyter.org"
subprotocol. A JupyterLab whose kernels live behind a gateway must answer with the legacy
protocol (its relay forwards text frames only), so the 101 response names no subprotocol, which
browsers must treat as a failed handshake (WHATWG WebSocket standard); JupyterLab then reconnects
without subprotocols. But jupyter_server has already started the relay's websocket to the gateway
for the doomed socket, and cancelling it on close only cancels a future: the gateway connection
opens anyway and stays open, unread, with the same session id as the real one.

The session id is the ZMQ identity of the gateway's shell socket to the kernel, and a kernel's
ROUTER socket ignores a second peer with an identity already in use. When the orphan's socket
won the race (about one first notebook in ten here), the kernel never answered the real
connection's requests: no kernel_info reply, status "Unknown", cells that never run.

So for a handshake that offered subprotocols and got none, the relay waits GRACE_SECONDS before
it connects to the gateway. A browser has dropped such a socket by then and no gateway connection
is made. A non-browser client that accepts the legacy protocol is connected after the wait, with
the messages it sent meanwhile delivered in order. The local JupyterLab's config file makes
DeferredGatewayConnection its `ServerApp.kernel_websocket_connection_class`, jupyter_server's
extension point for kernel websocket connections.
"""
import asyncio

from jupyter_server.gateway.connections import GatewayWebSocketConnection

GRACE_SECONDS = 0.5


def _doomed_for_browsers(handler) -> bool:
    return bool(handler.request.headers.get("Sec-WebSocket-Protocol")) and not handler.selected_subprotocol


class DeferredGatewayConnection(GatewayWebSocketConnection):
    """The gateway relay, connecting a socket browsers will drop only once it has outlived them."""

    _held_messages: list | None = None
    _deferred: asyncio.Future | None = None

    async def connect(self):
        if not _doomed_for_browsers(self.websocket_handler):
            return await super().connect()
        # In the background: the handler reads frames (and so sees the close) only after open().
        self._held_messages = []
        self._deferred = asyncio.ensure_future(self._connect_after_grace())
        return None

    async def _connect_after_grace(self):
        await asyncio.sleep(GRACE_SECONDS)
        held, self._held_messages = self._held_messages, None
        if self.disconnected:
            return
        await super().connect()
        for message in held:
            super().handle_incoming_message(message)

    def handle_incoming_message(self, message):
        if self._held_messages is not None:
            self._held_messages.append(message)
        else:
            super().handle_incoming_message(message)
