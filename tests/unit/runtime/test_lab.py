"""The local JupyterLab's own configuration: tokens, gateway, relay class and Nagle fix, read
back the way jupyter_server reads it; and the minimal environment it runs with."""
import json
import os
import stat
import subprocess
import sys

import pytest

from studio_containers.runtime.lab import LabOptions, lab_environment, write_config

READ_BACK = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
from jupyter_server.gateway.connections import GatewayWebSocketConnection
config = PyFileConfigLoader("jupyter_server_config.py", path=sys.argv[1]).load_config()
relay = config.ServerApp.kernel_websocket_connection_class
print(json.dumps({
    "token": config.IdentityProvider.token, "gateway": config.GatewayClient.url,
    "gateway_token": config.GatewayClient.auth_token,
    "relay": f"{relay.__module__}.{relay.__name__}",
    "relay_is_the_gateway_connection": issubclass(relay, GatewayWebSocketConnection),
    "nodelay": getattr(KernelWebsocketHandler, "_studio_containers_nodelay", False)}))
"""


def options(tmp_path, **changes) -> LabOptions:
    return LabOptions(**{**dict(port=1, token="lab-token", gateway_url="http://127.0.0.1:2",
                                gateway_token="gw-token", root_dir=tmp_path, state_dir=tmp_path),
                         **changes})


def read_back(folder) -> dict:
    done = subprocess.run([sys.executable, "-c", READ_BACK, str(folder)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("tcp_nodelay", [True, False])
def test_the_config_sets_tokens_gateway_relay_and_nodelay(tmp_path, tcp_nodelay):
    write_config(options(tmp_path, tcp_nodelay=tcp_nodelay))
    folder = tmp_path / "jupyter-config"
    assert stat.S_IMODE(os.stat(folder / "jupyter_server_config.py").st_mode) == 0o600
    assert read_back(folder) == {
        "token": "lab-token", "gateway": "http://127.0.0.1:2", "gateway_token": "gw-token",
        "relay": "relay.DeferredGatewayConnection", "relay_is_the_gateway_connection": True,
        "nodelay": tcp_nodelay}


def test_the_lab_gets_no_secrets_of_the_users_shell(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-pass")
    monkeypatch.setenv("GITHUB_TOKEN", "do-not-pass")
    env = lab_environment(options(tmp_path))
    assert "do-not-pass" not in env.values()
    assert env["JUPYTER_CONFIG_DIR"] == str(tmp_path / "jupyter-config")
    assert set(env) <= {"PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
                        "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR"}


def test_a_lab_is_found_by_its_mark_without_any_record(tmp_path):
    """What a killed session left is found by the lab's environment, and only ours."""
    import subprocess
    import sys

    from studio_containers.runtime.lab import config_dir, labs_of, stop_lab_pid
    from studio_containers.wait import wait_until

    def fake_lab(state_dir):
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "jupyterlab"],
                                env={"JUPYTER_CONFIG_DIR": str(config_dir(state_dir))})
    ours, theirs = fake_lab(tmp_path / "ours"), fake_lab(tmp_path / "theirs")
    try:
        # (Just after its exec, a process's command line reads empty for a moment.)
        wait_until(lambda: labs_of(tmp_path / "ours") == [ours.pid], timeout=10, interval=0.02,
                   what="our lab to be found")
        stop_lab_pid(theirs.pid, tmp_path / "ours")      # not ours: left alone
        assert theirs.poll() is None
        stop_lab_pid(ours.pid, tmp_path / "ours")
        assert ours.wait(10) is not None and labs_of(tmp_path / "ours") == []
    finally:
        for proc in (ours, theirs):
            proc.kill()
            proc.wait()
