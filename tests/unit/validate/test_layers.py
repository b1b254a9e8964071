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


def test_a_root_level_whiteout_or_hidden_file_keeps_its_dot():
    facts = read_layer_tar(_layer(("./.wh.opt", 0, 0), ("./.hidden", 0, 0), ("./etc/x", 0, 0),
                                  ("/abs", 0, 0)))
    assert facts.whiteouts == {"opt"}
    assert facts.paths == {".hidden", "etc/x", "abs"}


def _saved(layers: dict[str, bytes], order: list[str]) -> bytes:
    """A `docker save` stream: blobs by name, and a manifest listing them in `order`."""
    import json

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in {**layers, "manifest.json": json.dumps([{"Layers": order}]).encode()
                           }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


class Saved:
    def __init__(self, data: bytes):
        self.data = data

    def save(self, named=False):
        yield self.data


def test_compressed_layers_named_by_another_digest_are_read_all_the_same():
    """The containerd image store saves gzip layers named by their compressed digest."""
    import gzip

    from studio_containers.validate import layer_tar

    first = gzip.compress(_layer(("opt/x", 70000, 1)).getvalue())
    second = _layer(("srv/y", 0, 0)).getvalue()
    saved = Saved(_saved({"blobs/sha256/aaa": first, "blobs/sha256/known": second},
                         ["blobs/sha256/aaa", "blobs/sha256/known"]))
    read = layer_tar.read(saved, wanted={"sha256:diff-of-aaa"}, known={"sha256:known"})
    assert read[0].high_ids == [("/opt/x", 70000, 1)]
    assert 1 not in read            # a layer whose blob is named by a known diff ID is skipped
