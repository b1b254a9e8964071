"""What validation needs to know of one layer, and its form in the layer cache."""
from dataclasses import dataclass, field

from ..studio import MAX_ID

ACCOUNT_FILES = ("etc/passwd", "etc/group")


@dataclass
class LayerFacts:
    high_ids: list[tuple[str, int, int]] = field(default_factory=list)   # sorted by path
    paths: set[str] = field(default_factory=set)          # relative, without a leading /
    whiteouts: set[str] = field(default_factory=set)
    opaque_dirs: set[str] = field(default_factory=set)
    accounts: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, uid: int, gid: int) -> None:
        self.paths.add(path)
        if uid > MAX_ID or gid > MAX_ID:
            self.high_ids.append(("/" + path, uid, gid))

    def done(self) -> "LayerFacts":
        self.high_ids.sort()
        return self

    def to_json(self) -> dict:
        return {"high_ids": self.high_ids, "paths": sorted(self.paths),
                "whiteouts": sorted(self.whiteouts), "opaque_dirs": sorted(self.opaque_dirs),
                "accounts": self.accounts}

    @classmethod
    def from_json(cls, data: dict) -> "LayerFacts":
        return cls([tuple(h) for h in data["high_ids"]], set(data["paths"]),
                   set(data["whiteouts"]), set(data["opaque_dirs"]), dict(data["accounts"]))
