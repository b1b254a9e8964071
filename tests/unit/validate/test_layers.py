"""Layers read as Studio sees them: every layer's owners, whiteouts, opaque folders; users resolved."""
import io
import tarfile

import pytest

from studio_containers.validate.layer_tar import read_layer_tar
from studio_containers.validate.layers import resolve_user
from tests.unit.validate.inputs import ACCOUNTS


@pytest.mark.parametrize("user, expected", [
    ("", (0, 0)), ("root", (0, 0)), ("sagemaker-user", (1000, 100)), ("1000", (1000, 100)),
    ("1000:100", (1000, 100)), ("sagemaker-user:staff", (1000, 50)), ("4242", (4242, 0)),
    ("nobody-here", None), ("1000:nogroup", None),
])
def test_image_users_resolve_as_docker_does(user, expected):
    assert resolve_user(user, ACCOUNTS) == expected


def _layer(*members: tuple[str, int, int]) -> io.BytesIO:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, uid, gid in members:
            info = tarfile.TarInfo(name)
            info.uid, info.gid = uid, gid
            tar.addfile(info, io.BytesIO(b""))
    data.seek(0)
    return data


def test_layers_report_high_ids_whiteouts_and_opaque_folders():
    facts = read_layer_tar(_layer(("opt/x", 70000, 1), ("opt/.wh.y", 0, 0),
                               ("srv/.wh..wh..opq", 0, 0), ("ok", 0, 0)))
    assert facts.high_ids == [("/opt/x", 70000, 1)]
    assert facts.whiteouts == {"opt/y"} and facts.opaque_dirs == {"srv"}
    assert facts.paths == {"opt/x", "ok"}
