"""Real engine, real images: fixtures build once per session and always clean up.

`spec`/`built` run each test that uses them for every shipped KernelGateway image under images/,
`space` for every shipped space image; the validation fixtures (tests/fixtures/images/) derive
from python-basic and use `python_basic`."""
import secrets
from pathlib import Path

import pytest
import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

from studio_containers.build.images import build_image
from studio_containers.build.workspace import open_workspace
from studio_containers.ports import HOST, free_port
from studio_containers.runtime.gateway import GATEWAY_PORT, GatewayContainer, gateway_container
from studio_containers.runtime.home import prepare_home
from studio_containers.runtime.volume import ensure_runtime
from studio_containers.spec import load_spec
from tests.helpers import project_settings, shipped_images


class KernelGatewayContainer(DockerContainer):
    """Our gateway container description, run through testcontainers."""

    def __init__(self, gc: GatewayContainer):
        super().__init__(gc.image)
        self.gc = gc
        for key, value in gc.environment.items():
            self.with_env(key, value)
        for source, mount in gc.volumes.items():
            self.with_volume_mapping(source, mount["bind"], mount["mode"])
        # with_bind_ports() cannot name a host IP; docker-py can, and the port must be loopback only.
        self.ports[f"{GATEWAY_PORT}/tcp"] = (HOST, gc.host_port)
        self.with_name(gc.name)
        self.with_kwargs(entrypoint=gc.entrypoint, user=gc.user, working_dir=gc.working_dir,
                         labels=gc.labels)
        self.waiting_for(LogMessageWaitStrategy("Kernel Gateway .* is available at").with_startup_timeout(60))

    @property
    def token(self) -> str:
        return self.gc.environment["KG_AUTH_TOKEN"]

    def get(self, path: str, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.get(f"{self.gc.url}{path}", headers=headers, timeout=10)


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    return project_settings(state_dir=str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def workspace(settings):
    return open_workspace(settings)  # fails (not skips) when no engine can be had


@pytest.fixture(scope="session", params=shipped_images("kernel-gateway"))
def spec(settings, request):
    """Each shipped KernelGateway image's spec."""
    return load_spec(settings.images_dir / request.param)


@pytest.fixture(scope="session", params=shipped_images("space"))
def space(workspace, settings, request):
    """Each shipped space image (JupyterLab, Code Editor), built."""
    spec = load_spec(settings.images_dir / request.param)
    return build_image(workspace, spec)


@pytest.fixture(scope="session")
def built(workspace, spec):
    return build_image(workspace, spec)


@pytest.fixture(scope="session")
def python_basic(workspace, settings):
    """The image the validation fixtures are made FROM (`studio-containers/python-basic:latest`)."""
    spec = load_spec(settings.images_dir / "python-basic")
    return build_image(workspace, spec)


@pytest.fixture(scope="session")
def runtime(workspace):
    return ensure_runtime(workspace)


@pytest.fixture
def home(tmp_path) -> Path:
    """The host folder that plays the EFS home; make_gateway gives it to the image's user."""
    return tmp_path / "home"


@pytest.fixture
def make_gateway(runtime, settings, home):
    started = []

    def make(spec, image) -> KernelGatewayContainer:
        gc = gateway_container(spec, image, runtime, prepare_home(home, spec), secrets.token_urlsafe(16),
                               free_port(), settings.state_dir)
        container = KernelGatewayContainer(gc)
        started.append(container)
        return container

    yield make
    for container in started:
        try:
            container.stop()
        except Exception:
            pass
