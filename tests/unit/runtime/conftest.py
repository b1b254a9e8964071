"""The in-container files of local/gateway/ loaded as modules, as the runtime loads them."""
import importlib.util

import pytest

from studio_containers.runtime import RUNTIME_DIR


def load(name: str, path=None):
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", path or RUNTIME_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def launch():
    return load("launch")


@pytest.fixture
def nodelay():
    return load("nodelay")
