"""Every shipped space image run the way Studio runs it, behind the token front `invoke local`
puts before it: served at its base path, as 1000:100, with Studio's variables; nothing without
the token, HTTP or websocket."""
import secrets

import pytest
import requests
import websocket

from studio_containers.local.front import TokenFront
from studio_containers.ports import free_port
from studio_containers.runtime.gateway import prepare_home, remove
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.space import space_container, start_space
from studio_containers.studio import APP_PORT, SPACE_HOME

PROBE = ("import os; open('from-kernel.txt', 'w').write('hi'); "
         "print(os.getuid(), os.getgid(), os.getcwd(), os.environ['SAGEMAKER_APP_TYPE'], "
         "os.environ['SAGEMAKER_APP_TYPE_LOWERCASE'], os.environ['SAGEMAKER_SPACE_NAME'])")


@pytest.fixture
def served(space, workspace, settings, tmp_path):
    """The space's container started as Studio starts it, and a token front before it."""
    sc = space_container(space.spec, space.ref, prepare_home(tmp_path / "home", space.spec),
                         free_port(), settings.state_dir, settings.aws_region,
                         name=f"studio-containers-test-{secrets.token_hex(4)}")
    container = start_space(workspace.client, sc, space.spec, timeout=120)
    front = TokenFront(free_port(), secrets.token_urlsafe(16), sc.host_port).start()
    try:
        yield sc, container, front
    finally:
        front.stop()
        remove(container)


def test_the_app_serves_its_base_path_as_studio_runs_it(served, space, tmp_path):
    sc, container, front = served
    base = f"{front.url}{sc.base_path}"
    out = execute(base, front.token, "python3", PROBE).split()
    assert out == ["1000", "100", SPACE_HOME, space.spec.app_type, space.spec.app_type.lower(),
                   f"local-{space.spec.name}"]
    assert (tmp_path / "home" / "from-kernel.txt").read_text() == "hi"   # the space's volume
    container.reload()
    bindings = container.attrs["NetworkSettings"]["Ports"][f"{APP_PORT}/tcp"]
    assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}


def test_nothing_passes_the_front_without_the_token(served):
    sc, _, front = served
    base = f"{front.url}{sc.base_path}"
    assert requests.get(f"{base}/api/status", timeout=10).status_code == 403
    assert requests.get(f"{base}/api/status", params={"token": "wrong"}, timeout=10).status_code == 403
    assert requests.get(f"{base}/api/status", params={"token": front.token}, timeout=10).status_code == 200
    kernel = requests.post(f"{base}/api/kernels", json={"name": "python3"}, timeout=60,
                           headers={"Authorization": f"token {front.token}"}).json()["id"]
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(f"{base}/api/kernels/{kernel}/channels".replace("http", "ws"),
                                    timeout=10)
    assert info.value.status_code == 403
    requests.delete(f"{base}/api/kernels/{kernel}", timeout=30,
                    headers={"Authorization": f"token {front.token}"})
