"""Talking to a Jupyter kernel over the REST API and kernel websocket (Kernel Gateway or JupyterLab)."""
import json
import uuid
from pathlib import Path

import requests
import websocket
from invoke import Config

from studio_containers import PROJECT_ROOT
from studio_containers.settings import Settings


def project_settings(**overrides) -> Settings:
    """Settings as the tasks see them (invoke.yaml + INVOKE_* variables), with overrides."""
    cfg = Config(project_location=str(PROJECT_ROOT))
    cfg.load_project()
    cfg.load_shell_env()
    for dotted, value in overrides.items():
        section, _, key = dotted.rpartition("__")
        target = cfg[section] if section else cfg
        target[key] = value
    return Settings.from_config(cfg)


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


def write_image(folder: Path, dockerfile: str, spec_yaml: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "image.yaml").write_text(spec_yaml)
    return folder


class InvokeCli:
    """`invoke` as a user runs it, in a child process, with its own state folder and ports."""

    def __init__(self, state_dir: Path, **settings: str):
        import os
        from studio_containers.ports import free_port
        self.env = dict(os.environ, INVOKE_STATE_DIR=str(state_dir),
                        INVOKE_AWS_PORT=str(free_port()),
                        INVOKE_AWS_REGISTRY_PORT=str(free_port()))
        self.env.update({f"INVOKE_{k.upper()}": str(v) for k, v in settings.items()})

    def argv(self, *args: str) -> list[str]:
        import sys
        from studio_containers import PROJECT_ROOT
        return [sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT), *args]

    def __call__(self, *args: str, check: bool = True, timeout: float = 900):
        import subprocess
        done = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check:
            assert done.returncode == 0, f"invoke {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def aws_session(self):
        """A boto3 session on the local AWS, from `invoke aws.env` as a shell would use it."""
        import boto3
        exports = self("aws.env").stdout
        values = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
        return values["AWS_ENDPOINT_URL"], boto3.session.Session(
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
            region_name=values["AWS_REGION"])
