"""Turns off Nagle's algorithm on kernel websockets, in the gateway and in the local JupyterLab.

jupyter_server's KernelWebsocketHandler (which Kernel Gateway 3 serves too) never calls
set_nodelay(True). Each small frame after the first then waits for the peer's delayed ACK, about
40 ms, so an execute round trip of `1+1` took 40-50 ms instead of ~5 ms. Setting TCP_NODELAY when
the websocket opens removes that wait; nothing else changes. Loaded by launch.py before the
gateway starts and by the local JupyterLab's config file; the user's image is never touched.
"""


def apply() -> None:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    if getattr(KernelWebsocketHandler, "_studio_containers_nodelay", False):
        return
    original = KernelWebsocketHandler.open

    async def open(self, *args, **kwargs):
        self.set_nodelay(True)
        return await original(self, *args, **kwargs)

    KernelWebsocketHandler.open = open
    KernelWebsocketHandler._studio_containers_nodelay = True
