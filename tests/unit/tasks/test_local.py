"""`invoke local` through MockContext: ports and flags checked before anything starts."""
import socket
from unittest import mock

import pytest
from invoke import Exit

from studio_containers.tasks import local
from tests.helpers import shipped_images


def test_local_refuses_a_port_in_use_before_starting_anything(context, exit_message, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with mock.patch("studio_containers.pipeline.open_workspace") as workspace:
            with pytest.raises(Exit) as info:
                local.local(context(), image="python-basic", port=busy)
    assert f"--port {busy}: 127.0.0.1:{busy} is already in use" in exit_message(info)
    workspace.assert_not_called()
    assert not (tmp_path / "state" / "local" / "session.json").exists()


def test_an_unknown_image_is_refused_naming_the_known_ones(context, exit_message):
    with pytest.raises(Exit) as info:
        local.local(context(), image="nope")
    message = exit_message(info)
    assert "--image 'nope': no such image" in message
    assert sorted(message.split("known: ", 1)[1].split(", ")) == sorted(shipped_images())


def test_local_rejects_a_bad_port_flag(context, exit_message, tmp_path):
    with pytest.raises(Exit) as info:
        local.local(context(), image="python-basic", port="http")
    assert "--port: 'http' is not a port" in exit_message(info)


def test_local_stop_with_nothing_running_says_so(context, exit_message, tmp_path, capsys):
    with mock.patch("studio_containers.local.app.connect", return_value=None):
        local.local(context(), stop=True)
    assert "No `invoke local` was running" in capsys.readouterr().out
