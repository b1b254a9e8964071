"""The two layer readers agree on real layers, and the layer cache reads only layers not seen.

The overlay2 reader is the fast path and `docker save` the one that works everywhere; they must
give the same facts, including for whiteouts, opaque folders and a high owner a later layer
deletes (the cases where reading the final tree instead would miss a Studio failure)."""
import secrets

import pytest

from studio_containers.validate import layer_dirs, layer_tar
from studio_containers.validate.layer_cache import LayerCache
from studio_containers.validate.layers import read_layers

DOCKERFILE = """\
FROM {base}
USER root
RUN mkdir -p /srv/gone /srv/again /opt/keep && touch /srv/gone/a /srv/again/b /opt/keep/c \\
    /opt/high && chown 70000:70001 /opt/high
RUN rm -rf /srv/gone /opt/high /srv/again && mkdir /srv/again && touch /srv/again/new \\
    && useradd -u 1234 -g 100 someone
"""


@pytest.fixture(scope="module")
def layered(workspace, tmp_path_factory):
    folder = tmp_path_factory.mktemp("layered")
    (folder / "Dockerfile").write_text(DOCKERFILE.format(base=workspace.base.ref))
    tag = f"studio-containers/test-layers:{secrets.token_hex(4)}"
    image, _ = workspace.client.images.build(path=str(folder), tag=tag, rm=True)
    yield image
    workspace.client.images.remove(tag, force=True)


def test_the_overlay2_reader_sees_what_docker_save_holds(layered):
    diff_ids = layered.attrs["RootFS"]["Layers"]
    every = list(range(len(diff_ids)))
    from_dirs = layer_dirs.read(layered.attrs, every)
    assert from_dirs is not None, "this engine is overlay2 and local: the fast path must work"
    assert from_dirs == layer_tar.read(layered, set(diff_ids))
    top, below = from_dirs[every[-1]], from_dirs[every[-2]]
    assert below.high_ids == [("/opt/high", 70000, 70001)]
    assert {"srv/gone", "opt/high"} <= top.whiteouts and top.opaque_dirs == {"srv/again"}
    assert "someone:x:1234:100" in top.accounts["etc/passwd"]


def test_the_final_tree_applies_whiteouts_and_opaque_folders(layered, tmp_path):
    layers = read_layers(layered, LayerCache(tmp_path))
    assert {"srv/again/new", "opt/keep/c"} <= layers.final_paths
    assert not {"srv/gone", "srv/gone/a", "srv/again/b", "opt/high"} & layers.final_paths
    assert [f for f in layers.layers if f.high_ids]         # still reported, though deleted


def test_the_cache_reads_only_layers_it_has_not_seen(workspace, layered, tmp_path):
    cache = LayerCache(tmp_path)
    assert read_layers(layered, cache).read == len(layered.attrs["RootFS"]["Layers"])
    assert read_layers(layered, cache).read == 0
    folder = tmp_path / "derived"
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM {layered.id}\nRUN touch /opt/{secrets.token_hex(4)}\n")
    derived, _ = workspace.client.images.build(path=str(folder), rm=True)
    try:
        assert read_layers(derived, cache).read == 1
    finally:
        workspace.client.images.remove(derived.id, force=True)
