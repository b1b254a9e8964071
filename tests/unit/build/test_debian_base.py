"""The Debian base: the mirror it is made from, and when an engine's copy is saved back to the cache."""
import json

from studio_containers.build.debian_base import apt_mirror


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path):
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\n")
    assert apt_mirror((tmp_path,)) == "http://mirror.example/debian"
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert apt_mirror((one_line,)) == "http://other.example/debian"
    assert apt_mirror((tmp_path / "none",)) == "http://deb.debian.org/debian"


def _saved(config, layer_data):
    def read_saved(client, ref, folder):
        layer = folder / "layer.tar"
        layer.write_bytes(layer_data)
        return config, [layer]
    return read_saved


def test_an_engine_image_is_saved_back_only_when_it_is_the_base_this_module_makes(tmp_path, monkeypatch):
    from studio_containers.build import debian_base
    from studio_containers.build.image_archive import sha256_file
    layer = tmp_path / "l"
    layer.write_bytes(b"rootfs")
    facts = {"diff_id": sha256_file(layer), "python_version": "3.11.2", "architecture": "amd64",
             "created": "2026-12-05T08:00:00Z"}
    tarball, facts_file = tmp_path / "base" / "b.tar", tmp_path / "base" / "b.json"

    foreign = dict(debian_base.base_config(facts), config={"Env": ["PATH=/bin"], "Cmd": ["sh"]})
    monkeypatch.setattr(debian_base, "read_saved", _saved(foreign, b"rootfs"))
    assert not debian_base._cache_from_engine(None, tarball, facts_file)
    assert not facts_file.exists() and not tarball.exists()

    monkeypatch.setattr(debian_base, "read_saved", _saved(debian_base.base_config(facts), b"other"))
    assert not debian_base._cache_from_engine(None, tarball, facts_file)   # layer not its diff_id

    monkeypatch.setattr(debian_base, "read_saved", _saved(debian_base.base_config(facts), b"rootfs"))
    assert debian_base._cache_from_engine(None, tarball, facts_file)
    assert tarball.read_bytes() == b"rootfs"
    written = json.loads(facts_file.read_text())
    assert debian_base.base_config(written) == debian_base.base_config(facts)
    assert sorted(p.name for p in tarball.parent.iterdir()) == ["b.json", "b.tar"]
