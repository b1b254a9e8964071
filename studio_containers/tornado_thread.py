"""A tornado server in a thread of its own, on 127.0.0.1: the token front and the gateway router
run beside the code that starts them (`invoke local`, the local AWS), not as processes."""
import asyncio
import threading

from tornado.httpserver import HTTPServer

from .ports import HOST


class ServerThread:
    def __init__(self, app, port: int, name: str):
        self.app, self.port = app, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> "ServerThread":
        """Listening when it returns; a port in use raises here, in the caller's thread."""
        self._thread.start()
        self._started.wait()
        if self._error:
            raise self._error
        return self

    def _serve(self):
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        # start() waits on _started with no deadline: it is set on every way out of the setup.
        try:
            server = HTTPServer(self.app)
            server.listen(self.port, address=HOST)
        except BaseException as exc:    # noqa: BLE001 - raised again in start(), the caller's thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            server.stop()
            self._loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
