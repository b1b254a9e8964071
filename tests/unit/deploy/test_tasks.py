"""`invoke up|down|status|rollback` with bad input: one line, before any engine or cloud call."""
from unittest import mock

import pytest
from invoke import Exit

from studio_containers.errors import UserError
from studio_containers.tasks import deploy as deploy_tasks
from tests.helpers import project_settings


@pytest.mark.parametrize("call, message", [
    (lambda c: deploy_tasks.up(c, target="moon"), "--target moon: unknown target; allowed: local, aws"),
    (lambda c: deploy_tasks.up(c, target="aws"), "deploy.domain_id: required for --target aws"),
    (lambda c: deploy_tasks.down(c, target="moon"), "--target moon"),
    (lambda c: deploy_tasks.status(c, target="moon"), "--target moon"),
    (lambda c: deploy_tasks.rollback(c, image="x", version="latest"), "--version latest"),
    (lambda c: deploy_tasks.up(c, image="nope"), "--image 'nope': no such image"),
])
def test_bad_deploy_input_is_one_line_before_any_cloud_call(context, exit_message, call, message):
    # up, down and rollback open their target through deployment(); status opens it itself.
    with mock.patch("studio_containers.deploy.deployment.open_target") as target, \
            mock.patch("studio_containers.deploy.status.open_target") as status_target, \
            mock.patch("studio_containers.pipeline.open_workspace") as workspace:
        with pytest.raises(Exit) as info:
            call(context())
    assert message in exit_message(info)
    target.assert_not_called()
    status_target.assert_not_called()
    workspace.assert_not_called()


@pytest.mark.parametrize("key, value", [("stack", "has space"), ("parallelism", 0),
                                        ("keep_last_images", "ten")])
def test_bad_deploy_settings_name_the_setting(key, value):
    with pytest.raises(UserError, match=f"deploy.{key}"):
        project_settings(**{f"deploy__{key}": value})
