"""What a test can ask each kind of space app through its URL, so tests that run per shipped space
image (JupyterLab or Code Editor) check each by its own means. An app type without an entry here
fails those tests with a KeyError: a new kind of space is not covered by accident."""
import uuid

import requests
import websocket

from studio_containers.runtime.kernel_client import execute
from studio_containers.studio import CODE_EDITOR, JUPYTER_LAB, SPACE_HOME

# A file the test writes into the space's home on the host; the app must serve it from SPACE_HOME.
HOME_FILE, HOME_TEXT = "from-the-host.txt", "written on the host, read through the app"


def ready_path(app_type: str) -> str:
    """Below the base path: what answers 200 once the app is up (Studio's health check's role)."""
    return {JUPYTER_LAB: "/api/status", CODE_EDITOR: "/healthz"}[app_type]


def reads_home_file(app_type: str, base: str, token: str) -> str:
    """HOME_FILE's text, read by the app's own process from SPACE_HOME."""
    if app_type == JUPYTER_LAB:
        return execute(base, token, "python3", f"print(open('{SPACE_HOME}/{HOME_FILE}').read())").strip()
    if app_type == CODE_EDITOR:    # VS Code's remote file route: the server reads the file itself
        answer = requests.get(f"{base}/vscode-remote-resource", timeout=30,
                              params={"path": f"{SPACE_HOME}/{HOME_FILE}"},
                              headers={"Authorization": f"token {token}"})
        answer.raise_for_status()
        return answer.text.strip()
    raise KeyError(app_type)


def open_socket(app_type: str, base: str, front: str, token: str | None) -> websocket.WebSocket:
    """The app's own websocket (a kernel's channels; VS Code's remote connection), through the
    front, with the token in the Authorization header or without any."""
    headers = [f"Authorization: token {token}"] if token else []
    ws_base = base.replace("http://", "ws://")
    if app_type == JUPYTER_LAB:
        auth = {"Authorization": f"token {token}"} if token else {}
        kernel = requests.post(f"{base}/api/kernels", json={"name": "python3"}, timeout=60,
                               headers=auth).json()["id"] if token else "no-kernel"
        url = f"{ws_base}/api/kernels/{kernel}/channels"
    elif app_type == CODE_EDITOR:
        url = (f"{ws_base}/?reconnectionToken={uuid.uuid4()}&reconnection=false"
               "&skipWebSocketFrames=false")
    else:
        raise KeyError(app_type)
    return websocket.create_connection(url, header=headers, origin=front, timeout=30)


def process_ids(container) -> set[tuple[str, str]]:
    """(uid, gid) of every process in the container, as the host's ps sees them."""
    top = container.top(ps_args="-o pid,uid,gid")     # docker needs the pid column
    return {(row[1], row[2]) for row in top["Processes"]}
