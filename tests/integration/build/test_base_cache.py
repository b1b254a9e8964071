"""The Debian base's cache folder is the one source every engine of the machine loads from: an
engine that kept the base while the cache was cleared writes it back, and an engine holding
another image under the base's name is given the cached one. Either way a second engine ends
with the same layers and id, so builds on it reuse the first's cache and content hashes."""
import json

import pytest

from studio_containers.build.debian_base import IMAGE, ensure_debian_base
from studio_containers.build.image_archive import Entry, layer_bytes, sha256_file, write_archive
from studio_containers.build.pulls import image_exists
from tests.engines import Engine


@pytest.fixture
def debian_base(workspace, settings):
    """The Debian base in the test engine: there already where build.base_image cannot be
    pulled (as here), made from the project's cache otherwise, so the test always runs."""
    if not image_exists(workspace.client, IMAGE):
        ensure_debian_base(workspace.client, settings.cache_dir)
    return workspace.client.images.get(IMAGE)


@pytest.fixture
def second_engine():
    engine = Engine(own_network=True)
    yield engine.start()
    engine.remove()


def test_a_base_kept_by_the_engine_is_saved_back_and_a_second_engine_loads_the_same(
        workspace, debian_base, second_engine, tmp_path):
    cache = tmp_path / "cache"
    assert ensure_debian_base(workspace.client, cache) == IMAGE
    tarball, facts = cache / "base" / f"{IMAGE.split(':')[1]}.tar", \
        cache / "base" / f"{IMAGE.split(':')[1]}.json"
    assert [sha256_file(tarball)] == debian_base.attrs["RootFS"]["Layers"]
    assert json.loads(facts.read_text())["diff_id"] == sha256_file(tarball)
    assert not [p.name for p in (cache / "base").iterdir() if p not in (tarball, facts)]

    # Another image under the base's name in the second engine: replaced by the cached base.
    layer = tmp_path / "other.tar"
    layer.write_bytes(layer_bytes([Entry("/other", b"not the base\n")], mtime=0))
    other = {"architecture": "amd64", "os": "linux", "config": {},
             "rootfs": {"type": "layers", "diff_ids": [sha256_file(layer)]}}
    write_archive(tmp_path / "other-load.tar", IMAGE, other, [layer])
    with open(tmp_path / "other-load.tar", "rb") as f:
        list(second_engine.api.load_image(f, quiet=True))
    assert second_engine.images.get(IMAGE).attrs["RootFS"]["Layers"] == [sha256_file(layer)]

    assert ensure_debian_base(second_engine, cache) == IMAGE
    loaded = second_engine.images.get(IMAGE)
    assert loaded.attrs["RootFS"]["Layers"] == debian_base.attrs["RootFS"]["Layers"]
    assert loaded.id == debian_base.id
