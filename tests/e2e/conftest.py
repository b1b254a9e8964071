"""End-to-end fixtures: the CLI in child processes, each test with its own state folder."""
import os

import pytest

FIRST_START_TIMEOUT = 600  # a fresh machine builds the base, the runtime and the image first


@pytest.fixture
def local_env(tmp_path) -> dict:
    """The environment of an `invoke local` of this test's own: state and homes under tmp_path."""
    return dict(os.environ, INVOKE_STATE_DIR=str(tmp_path / "state"),
                INVOKE_LOCAL_HOME_DIR=str(tmp_path / "home"))


@pytest.fixture
def first_start_timeout() -> float:
    return FIRST_START_TIMEOUT
