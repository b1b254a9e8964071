"""Fixtures for the unit tests: tasks driven through Invoke's MockContext."""
import pytest
from invoke import Config, MockContext

from studio_containers import PROJECT_ROOT


@pytest.fixture
def context(tmp_path):
    """A factory of task contexts with the project's invoke.yaml and a private state folder."""
    def make(run=None) -> MockContext:
        cfg = Config(project_location=str(PROJECT_ROOT))
        cfg.load_project()
        cfg["state_dir"] = str(tmp_path / "state")
        return MockContext(config=cfg, run=run or {})
    return make


@pytest.fixture
def exit_message():
    """The one-line message of an expected task failure (exit 1, no traceback)."""
    def message(excinfo) -> str:
        text = str(excinfo.value.message)
        assert excinfo.value.code == 1
        assert "\n" not in text and "Traceback" not in text
        return text
    return message
