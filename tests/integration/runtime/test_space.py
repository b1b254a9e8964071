"""Every shipped space image run the way Studio runs it, behind the token front `invoke local`
puts before it: served at its base path, as 1000:100, with Studio's variables and the space's home;
nothing without the token, HTTP or websocket."""
import secrets

import pytest
import requests
import websocket

from studio_containers.ports import free_port
from studio_containers.runtime.container import remove
from studio_containers.runtime.front import TokenFront
from studio_containers.runtime.home import prepare_home
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.space import space_container, start_space
from studio_containers.studio import APP_PORT
from tests.helpers import shipped_images
from tests.space_apps import (
    HOME_FILE,
    HOME_TEXT,
    open_socket,
    process_ids,
    reads_home_file,
    ready_path,
)


@pytest.fixture
def served(space, workspace, settings, tmp_path):
    """The space's container started as Studio starts it, and a token front before it."""
    home = prepare_home(tmp_path / "home", space.spec)
    (home / HOME_FILE).write_text(HOME_TEXT)
    sc = space_container(space.spec, space.ref, home, free_port(), settings.state_dir,
                         settings.aws_region, name=f"studio-containers-test-{secrets.token_hex(4)}")
    container, base_path = start_space(workspace.client, sc, space.spec, timeout=120)
    front = TokenFront(free_port(), secrets.token_urlsafe(16), sc.host_port).start()
    try:
        yield f"{front.url}{base_path}", container, front
    finally:
        front.stop()
        remove(container)


def test_the_app_serves_its_base_path_as_studio_runs_it(served, space):
    base, container, front = served
    assert base.endswith(space.spec.base_path)
    assert reads_home_file(space.spec.app_type, base, front.token) == HOME_TEXT   # the space's volume
    assert process_ids(container) == {("1000", "100")}
    env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
    assert {k: env[k] for k in ("SAGEMAKER_APP_TYPE", "SAGEMAKER_APP_TYPE_LOWERCASE",
                                "SAGEMAKER_SPACE_NAME")} == {
        "SAGEMAKER_APP_TYPE": space.spec.app_type,
        "SAGEMAKER_APP_TYPE_LOWERCASE": space.spec.app_type.lower(),
        "SAGEMAKER_SPACE_NAME": f"local-{space.spec.name}"}
    container.reload()
    bindings = container.attrs["NetworkSettings"]["Ports"][f"{APP_PORT}/tcp"]
    assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}


@pytest.mark.parametrize("space", shipped_images(app_type="JupyterLab"), indirect=True)
def test_a_kernel_writes_the_home_as_1000_100(served, tmp_path):
    base, _, front = served
    out = execute(base, front.token, "python3", "import os; open('from-kernel.txt', 'w').write('hi');"
                  " print(os.getuid(), os.getgid(), os.getcwd())").split()
    assert out == ["1000", "100", "/home/sagemaker-user"]
    written = tmp_path / "home" / "from-kernel.txt"
    assert written.read_text() == "hi" and (written.stat().st_uid, written.stat().st_gid) == (1000, 100)


def test_nothing_passes_the_front_without_the_token(served, space):
    base, _, front = served
    ready = f"{base}{ready_path(space.spec.app_type)}"
    assert requests.get(ready, timeout=10).status_code == 403
    assert requests.get(ready, params={"token": "wrong"}, timeout=10).status_code == 403
    assert requests.get(ready, params={"token": front.token}, timeout=10).status_code == 200
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        open_socket(space.spec.app_type, base, front.url, token=None)
    assert info.value.status_code == 403
    open_socket(space.spec.app_type, base, front.url, token=front.token).close()  # the app's own


@pytest.mark.parametrize("space", ["jupyterlab-python"], indirect=True)
def test_the_jupyterlab_example_runs_r_as_1000_100(served):
    base, _, front = served
    out = execute(base, front.token, "ir", 'cat(system("id -u", intern = TRUE), '
                  'system("id -g", intern = TRUE), R.version$major, "\\n"); library(data.table)')
    assert out.split() == ["1000", "100", "4"], out
