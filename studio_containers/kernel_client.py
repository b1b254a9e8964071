"""A minimal Jupyter kernel client over REST and the kernel websocket (Kernel Gateway or JupyterLab)."""
import json
import uuid

import requests
import websocket


def execute(base_url: str, token: str, kernel: str, code: str, timeout: float = 60) -> str:
    """Start `kernel`, run `code`, return its stdout, shut the kernel down."""
    headers = {"Authorization": f"token {token}"}
    r = requests.post(f"{base_url}/api/kernels", json={"name": kernel}, headers=headers, timeout=timeout)
    r.raise_for_status()
    kernel_id = r.json()["id"]
    try:
        ws_url = base_url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=timeout)
        try:
            return _run(ws, code)
        finally:
            ws.close()
    finally:
        requests.delete(f"{base_url}/api/kernels/{kernel_id}", headers=headers, timeout=timeout)


def _run(ws, code: str) -> str:
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False},
    }))
    out = []
    while True:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise AssertionError(f"kernel error: {msg['content']['ename']}: {msg['content']['evalue']}")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)
