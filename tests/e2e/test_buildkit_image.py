"""A user's image written with BuildKit's mounts (cache, secret, bind) and COPY --chmod, its
private package from a team index whose token is a build secret: `invoke local` builds,
validates and serves it, a notebook cell uses the private package, and the token is nowhere in
the image."""
import shutil

import docker
import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import LocalRun
from studio_containers.ports import free_port
from studio_containers.runtime.kernel_client import execute
from tests.private_index import private_index
from tests.security import image_layers_holding

NAME = "buildkit-kernel"
CELL = ("import os, subprocess, studio_containers_private_demo as m; "
        "print(os.getuid(), m.MESSAGE == subprocess.run(['greet'], capture_output=True, "
        "text=True).stdout.strip())")


@pytest.fixture
def client():
    """The engine, without any image of NAME before and after: the test sees its own build."""
    client = docker.from_env()

    def remove():
        for image in client.images.list(name=f"studio-containers/{NAME}"):
            client.images.remove(image.id, force=True)
    remove()
    yield client
    remove()


def test_local_builds_validates_and_serves_an_image_with_mounts_and_a_secret(
        local_env, tmp_path, first_start_timeout, client):
    images = tmp_path / "images"
    shutil.copytree(PROJECT_ROOT / "tests" / "fixtures" / "builds" / NAME, images / NAME)
    with private_index() as index:
        env = dict(local_env, INVOKE_IMAGES_DIR=str(images),
                   STUDIO_CONTAINERS_TEST_PIP_CONF=index.pip_conf())
        run = LocalRun(env, "--image", NAME, "--port", str(free_port()))
        try:
            _, base, token = run.wait_for_url(first_start_timeout)
            assert execute(base, token, "python3", CELL).split() == ["0", "True"]
            assert run.interrupt() == 0
        finally:
            run.kill()
        output = "".join(run.output)
        assert "RUN --mount=type=cache,target=/root/.cache/pip" in output
        assert f"Built {NAME}" in output and "no failure found" in output
    assert image_layers_holding(client, f"studio-containers/{NAME}:latest", [index.token]) == []
    assert index.token not in output
