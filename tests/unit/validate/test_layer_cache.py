"""Layer facts cached by diff ID: round trip, a change of reader code, and the size bound."""
import os

from studio_containers.validate import layer_cache
from studio_containers.validate.layer_cache import LayerCache
from studio_containers.validate.layer_facts import LayerFacts
from studio_containers.validate.layers import combine

FACTS = LayerFacts([("/opt/x", 70000, 1)], {"opt", "opt/x", "etc/passwd"}, {"srv/y"}, {"var"},
                   {"etc/passwd": "root:x:0:0::/root:/bin/sh\n"})


def test_facts_come_back_as_they_went_in(tmp_path):
    LayerCache(tmp_path).put("sha256:abc", FACTS)
    assert LayerCache(tmp_path).get("sha256:abc") == FACTS
    assert LayerCache(tmp_path).get("sha256:other") is None


def test_a_change_to_the_readers_starts_a_new_cache(tmp_path, monkeypatch):
    LayerCache(tmp_path).put("sha256:abc", FACTS)
    monkeypatch.setattr(layer_cache, "readers_digest", lambda: "changed")
    cache = LayerCache(tmp_path)
    assert cache.get("sha256:abc") is None
    cache.put("sha256:def", FACTS)
    assert [p.name for p in tmp_path.iterdir()] == ["changed"]


def test_least_recently_used_entries_go_first(tmp_path, monkeypatch):
    monkeypatch.setattr(layer_cache, "MAX_ENTRIES", 2)
    cache = LayerCache(tmp_path)
    for age, name in enumerate(("sha256:old", "sha256:used")):
        cache.put(name, FACTS)
        os.utime(cache._file(name), (1000 + age, 1000 + age))
    cache.get("sha256:old")                      # used again: now the most recent
    cache.put("sha256:new", FACTS)
    assert [cache.get(n) is not None for n in ("sha256:old", "sha256:used", "sha256:new")] == \
        [True, False, True]


def test_a_damaged_entry_is_read_again_not_trusted(tmp_path):
    cache = LayerCache(tmp_path)
    cache.put("sha256:abc", FACTS)
    cache._file("sha256:abc").write_text('{"paths": [')
    assert cache.get("sha256:abc") is None


def test_whiteouts_and_opaque_folders_hide_only_what_is_below_them():
    base = LayerFacts(paths={"srv", "srv/a", "srv/a/1", "srv/ab", "var", "var/x", "etc/passwd"},
                      accounts={"etc/passwd": "old"})
    top = LayerFacts(paths={"var", "var/new"}, whiteouts={"srv/a", "etc/passwd"},
                     opaque_dirs={"var"})
    layers = combine([base, top])
    assert layers.final_paths == {"srv", "srv/ab", "var", "var/new"}
    assert layers.accounts == {}
