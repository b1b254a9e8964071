"""The gateway runtime volume: a new version removes the older ones, never one in use."""
from unittest import mock

from docker.errors import APIError

from studio_containers.runtime.volume import Runtime, _remove_other_runtimes


def test_a_new_runtime_removes_earlier_ones_but_not_one_in_use(capsys):
    keep = Runtime(image="studio-containers/gateway-runtime:new", volume="studio-containers-gateway-new")
    volumes = [mock.Mock(), mock.Mock(), mock.Mock()]
    volumes[0].name, volumes[1].name, volumes[2].name = (keep.volume, "studio-containers-gateway-old",
                                                         "studio-containers-gateway-busy")
    volumes[2].remove.side_effect = APIError("volume is in use")
    images = [mock.Mock(tags=[keep.image], id="new"), mock.Mock(tags=["studio-containers/gateway-runtime:old"], id="old")]
    client = mock.Mock()
    client.volumes.list.return_value = volumes
    client.images.list.return_value = images
    _remove_other_runtimes(client, keep)
    volumes[0].remove.assert_not_called()
    volumes[1].remove.assert_called_once()
    client.images.remove.assert_called_once_with("old")
    assert "Removed 1 gateway runtime volume(s)" in capsys.readouterr().out
