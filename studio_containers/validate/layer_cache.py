"""Layer facts cached by diff ID, the digest of a layer's uncompressed content.

The facts are a function of the content and of the code that reads it, so entries live in a
folder named after that code's digest: a change to the readers starts a new cache and removes
the old one. The least recently used entries beyond MAX_ENTRIES are dropped.
"""
import hashlib
import json
import os
import shutil
from pathlib import Path

from .. import studio
from ..files import write_private
from . import layer_dirs, layer_facts, layer_tar
from .layer_facts import LayerFacts

MAX_ENTRIES = 400
READERS = (layer_dirs, layer_facts, layer_tar, studio)


def readers_digest() -> str:
    digest = hashlib.sha256()
    for module in READERS:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


class LayerCache:
    def __init__(self, parent: Path):
        self.parent = parent
        self.folder = parent / readers_digest()

    def _file(self, diff_id: str) -> Path:
        algorithm, _, hexdigest = diff_id.partition(":")
        return self.folder / f"{algorithm}-{hexdigest}.json"

    def get(self, diff_id: str) -> LayerFacts | None:
        file = self._file(diff_id)
        try:
            facts = LayerFacts.from_json(json.loads(file.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        try:
            os.utime(file)        # recently used: kept when the cache is trimmed
        except OSError:
            pass
        return facts

    def put(self, diff_id: str, facts: LayerFacts) -> None:
        """Best effort: a cache that cannot be written (disk full, read-only, another version's
        run removing this folder) only costs the next validation a read."""
        try:
            if not self.folder.is_dir():
                self._drop_other_versions()
            write_private(self._file(diff_id), json.dumps(facts.to_json(), separators=(",", ":")))
            self._trim()
        except OSError:
            pass

    def _drop_other_versions(self) -> None:
        if self.parent.is_dir():
            for old in self.parent.iterdir():
                if old.is_dir() and old != self.folder:
                    shutil.rmtree(old, ignore_errors=True)

    def _trim(self) -> None:
        entries = list(self.folder.glob("*.json"))
        if len(entries) <= MAX_ENTRIES:
            return
        def last_used(file: Path) -> float:
            try:
                return file.stat().st_mtime
            except OSError:
                return 0.0     # another run trimmed it meanwhile
        entries.sort(key=last_used)
        for old in entries[:len(entries) - MAX_ENTRIES]:
            old.unlink(missing_ok=True)
