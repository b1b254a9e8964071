"""A minimal Jupyter kernel client over REST and the kernel websocket (Kernel Gateway or JupyterLab)."""
import json
import uuid

import requests
import websocket


class KernelSession:
    """One kernel started over REST, talked to over its websocket, shut down on exit."""

    def __init__(self, base_url: str, token: str, kernel: str, timeout: float = 60,
                 shutdown: bool = True):
        self.base_url, self.timeout, self.shutdown = base_url, timeout, shutdown
        self.headers = {"Authorization": f"token {token}"}
        self.kernel, self.token = kernel, token
        self.kernel_id = None
        self.ws = None

    def __enter__(self) -> "KernelSession":
        r = requests.post(f"{self.base_url}/api/kernels", json={"name": self.kernel},
                          headers=self.headers, timeout=self.timeout)
        r.raise_for_status()
        self.kernel_id = r.json()["id"]
        try:
            url = self.base_url.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
            self.ws = websocket.create_connection(url, header=[f"Authorization: token {self.token}"],
                                                  timeout=self.timeout)
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.ws is not None:
                self.ws.close()
        finally:
            if self.shutdown:
                self._shutdown()

    def _shutdown(self) -> None:
        requests.delete(f"{self.base_url}/api/kernels/{self.kernel_id}", headers=self.headers,
                        timeout=self.timeout)

    def run(self, code: str) -> str:
        """Runs `code` and returns its stdout; raises AssertionError on a kernel error."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "studio-containers",
                       "session": uuid.uuid4().hex, "msg_type": "execute_request",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))
        out = []
        # A reader, not a wait: the websocket's own timeout (self.timeout) bounds each recv.
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                raise AssertionError(f"kernel error: {msg['content']['ename']}: "
                                     f"{msg['content']['evalue']}")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)


def execute(base_url: str, token: str, kernel: str, code: str, timeout: float = 60,
            shutdown: bool = True) -> str:
    """Start `kernel`, run `code`, return its stdout, shut the kernel down (unless the caller
    removes the whole gateway next: the kernel's graceful shutdown is then time for nothing)."""
    with KernelSession(base_url, token, kernel, timeout, shutdown) as session:
        return session.run(code)
