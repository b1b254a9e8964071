"""A local AWS of its own for a test module: private state folder, free ports, always stopped."""
import contextlib

from studio_containers.localaws.control import LocalAws
from studio_containers.ports import free_port
from tests.helpers import project_settings


def local_aws_settings(state_dir, **overrides):
    return project_settings(state_dir=str(state_dir), aws__port=free_port(),
                            aws__registry_port=free_port(), **overrides)


@contextlib.contextmanager
def running_local_aws(settings):
    local = LocalAws(settings)
    try:
        yield local, local.start()
    finally:
        local.stop()
