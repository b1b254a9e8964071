"""A local AWS of a test's own: private state folder, free ports, always stopped afterwards."""
import pytest

from studio_containers.localaws.control import LocalAws
from studio_containers.ports import free_port
from tests.helpers import project_settings


@pytest.fixture(scope="session")
def local_aws_settings():
    """A factory of settings for a local AWS in `state_dir`, on free ports."""
    def make(state_dir, **overrides):
        return project_settings(state_dir=str(state_dir), aws__port=free_port(),
                                aws__registry_port=free_port(), **overrides)
    return make


@pytest.fixture(scope="module")
def aws(local_aws_settings, tmp_path_factory):
    """A running local AWS for the test module, always stopped: (LocalAws, Endpoint)."""
    local = LocalAws(local_aws_settings(tmp_path_factory.mktemp("localaws")))
    try:
        yield local, local.start()
    finally:
        local.stop()
