"""A deployment holds its target's lock: a second up/down/rollback on it stops at once."""
import pytest

from studio_containers.deploy.deployment import _lock
from studio_containers.errors import UserError
from tests.helpers import project_settings


def test_a_second_run_on_the_same_target_is_refused(tmp_path):
    settings = project_settings(state_dir=str(tmp_path))
    with _lock(settings, "local"):
        with pytest.raises(UserError, match="another up/down/rollback on target local is running"):
            with _lock(settings, "local"):
                pass
        with _lock(settings, "aws"):      # other targets are not held up
            pass
    with _lock(settings, "local"):        # released with the run
        pass
