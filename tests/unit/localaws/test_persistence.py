"""The state file: every moto backend saved whole, restored as it was, a bad file refused."""
import json
import stat
import sys
from importlib.metadata import version

import pytest
from moto.core.base_backend import BackendDict
from moto.sagemaker.models import sagemaker_backends

from studio_containers.localaws.sagemaker import models
from studio_containers.localaws.sagemaker.models import studio_store
from studio_containers.localaws.server.persistence import FORMAT, CorruptState, StateFile


def pickled_backends(path, old_modules=()) -> list:
    """(service, account, region) of every backend a state file holds."""
    import pickle
    with pytest.MonkeyPatch.context() as patch:
        for module in old_modules:
            patch.setitem(sys.modules, module, models)
        services = pickle.loads(path.read_bytes().partition(b"\n")[2])
    return [(s, a, r) for s, accounts in services.items() for a, regions in accounts.items()
            for r in regions]


def _backend():
    return sagemaker_backends["123456789012"]["us-east-1"]


def test_a_saved_state_comes_back_after_moto_forgets_it(moto_backend, tmp_path):
    studio_store(_backend()).create_image("kept", "arn:aws:iam::123456789012:role/r", None,
                                          None, [{"Key": "k", "Value": "v"}])
    path = tmp_path / "aws" / "state.bin"
    assert StateFile(path).save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header = json.loads(path.read_bytes().partition(b"\n")[0])
    assert (header["format"], header["moto"]) == (FORMAT, version("moto"))
    BackendDict.reset()
    assert not hasattr(_backend(), "studio_store")
    restored = StateFile(path)
    assert restored.load() == len(pickled_backends(path))
    assert studio_store(_backend()).image("kept").tags == [{"Key": "k", "Value": "v"}]


def test_a_state_saved_before_the_split_by_concern_still_loads(moto_backend, tmp_path,
                                                               monkeypatch):
    """The pickle names each class by its module: models.py's were studio_containers.localaws's
    before they moved to its sagemaker package, and a state file of then must load."""
    store = studio_store(_backend())
    store.create_image("kept", "arn:aws:iam::123456789012:role/r", None, None, None)
    store.create_app_image_config("cfg", {"JupyterLabAppImageConfig": {}}, None)
    old = "studio_containers.localaws.models"
    path = tmp_path / "state.bin"
    with monkeypatch.context() as then:
        then.setitem(sys.modules, old, models)
        for value in vars(models).values():
            if isinstance(value, type) and value.__module__ == models.__name__:
                then.setattr(value, "__module__", old)
        assert StateFile(path).save()
    payload = path.read_bytes().partition(b"\n")[2]
    assert old.encode() in payload and b"localaws.sagemaker" not in payload
    BackendDict.reset()
    assert StateFile(path).load() == len(pickled_backends(path, old_modules=[old]))
    restored = studio_store(_backend())
    assert isinstance(restored, models.StudioStore) and type(restored.image("kept")) is models.Image
    assert restored.app_image_config("cfg").name == "cfg"


def test_an_unchanged_state_is_not_written_again(moto_backend, tmp_path):
    studio_store(_backend())
    state = StateFile(tmp_path / "state.bin")
    assert state.save()
    written = state.path.stat().st_mtime_ns
    assert not state.save()
    studio_store(_backend()).create_image("new", "arn:aws:iam::1:role/r", None, None, None)
    assert state.save()
    assert state.path.stat().st_mtime_ns >= written
    assert [p.name for p in tmp_path.iterdir()] == ["state.bin"]


def test_no_file_is_an_empty_start(tmp_path):
    assert StateFile(tmp_path / "none.bin").load() == 0


@pytest.mark.parametrize("content, reason", [
    (b"garbage", "not a local AWS state file"),
    (b'{"format": "studio-containers-localaws/1", "moto": "0.0.1", "sha256": ""}\n...',
     "was written with moto 0.0.1"),
    (('{"format": "studio-containers-localaws/1", "moto": "%s", "sha256": "0"}\n'
      % version("moto")).encode() + b"\x80\x05truncated", "damaged"),
])
def test_a_bad_file_is_refused_and_kept(tmp_path, content, reason):
    path = tmp_path / "state.bin"
    path.write_bytes(content)
    with pytest.raises(CorruptState, match=reason):
        StateFile(path).load()
    assert path.read_bytes() == content
