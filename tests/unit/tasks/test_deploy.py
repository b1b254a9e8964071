"""`invoke up|down|status|rollback` with bad input: one line, before any engine or cloud call."""
from unittest import mock

import pytest
from invoke import Exit

from studio_containers.tasks import deploy as deploy_tasks


@pytest.mark.parametrize("call, message", [
    (lambda c: deploy_tasks.up(c, target="moon"), "--target moon: unknown target; allowed: local, aws"),
    (lambda c: deploy_tasks.up(c, target="aws"), "deploy.domain_id: required for --target aws"),
    (lambda c: deploy_tasks.down(c, target="moon"), "--target moon"),
    (lambda c: deploy_tasks.status(c, target="moon"), "--target moon"),
    (lambda c: deploy_tasks.rollback(c, image="x", version="latest"), "--version latest"),
    (lambda c: deploy_tasks.up(c, image="nope"), "--image 'nope': no such image"),
])
def test_bad_deploy_input_is_one_line_before_any_cloud_call(context, exit_message, call, message):
    # down and rollback open their target through deployment(); up and status open it themselves.
    with mock.patch("studio_containers.deploy.deployment.open_target") as target, \
            mock.patch("studio_containers.deploy.up.open_target") as up_target, \
            mock.patch("studio_containers.deploy.status.open_target") as status_target, \
            mock.patch("studio_containers.pipeline.open_workspace") as workspace:
        with pytest.raises(Exit) as info:
            call(context())
    assert message in exit_message(info)
    for opened in (target, up_target, status_target, workspace):
        opened.assert_not_called()
