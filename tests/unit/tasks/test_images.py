"""`invoke build|push|validate` through MockContext: flags reach the library, bad input is one line."""
from unittest import mock

import pytest
from invoke import Exit

from studio_containers.tasks import images
from tests.helpers import shipped_images


def test_unknown_image_is_refused_before_any_engine_work(context, exit_message):
    with mock.patch("studio_containers.pipeline.open_workspace") as workspace:
        with pytest.raises(Exit) as info:
            images.build(context(), image="nope")
    message = exit_message(info)
    assert "--image 'nope': no such image" in message
    assert sorted(message.split("known: ", 1)[1].split(", ")) == sorted(shipped_images())
    workspace.assert_not_called()


def test_build_passes_the_image_and_verbosity(context, exit_message):
    with mock.patch("studio_containers.pipeline.open_workspace") as workspace, \
            mock.patch("studio_containers.pipeline.build_images") as build:
        images.build(context(), image="python-basic", verbose=True)
    specs = build.call_args.args[1]
    assert [s.name for s in specs] == ["python-basic"]
    assert build.call_args.args[0] is workspace.return_value
    assert build.call_args.args[2] is True
