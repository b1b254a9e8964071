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
the messages it sent meanwhile delivered in order. Loaded by the local JupyterLab's config file.
"""
import asyncio

GRACE_SECONDS = 0.5


def _doomed_for_browsers(handler) -> bool:
    return bool(handler.request.headers.get("Sec-WebSocket-Protocol")) and not handler.selected_subprotocol


def apply() -> None:
    from jupyter_server.gateway.connections import GatewayWebSocketConnection as Relay

    if getattr(Relay, "_studio_containers_relay", False):
        return
    connect, handle_incoming = Relay.connect, Relay.handle_incoming_message

    async def deferred_connect(self):
        if not _doomed_for_browsers(self.websocket_handler):
            return await connect(self)
        # In the background: the handler reads frames (and so sees the close) only after open().
        self._held_messages = []
        self._deferred = asyncio.ensure_future(connect_after_grace(self))
        return None

    async def connect_after_grace(self):
        await asyncio.sleep(GRACE_SECONDS)
        held, self._held_messages = self._held_messages, None
        if self.disconnected:
            return
        await connect(self)
        for message in held:
            handle_incoming(self, message)

    def handle_incoming_message(self, message):
        held = getattr(self, "_held_messages", None)
        if held is not None:
            held.append(message)
        else:
            handle_incoming(self, message)

    Relay.connect = deferred_connect
    Relay.handle_incoming_message = handle_incoming_message
    Relay._studio_containers_relay = True
