"""Shared test settings. testcontainers must not pull Ryuk and must reach containers on 127.0.0.1;
tests under integration/ and e2e/ are marked `engine` (they need a running Docker engine)."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

ENGINE_FOLDERS = {"integration", "e2e"}
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if ENGINE_FOLDERS & set(Path(item.fspath).relative_to(TESTS).parts[:1]):
            item.add_marker(pytest.mark.engine)
