"""What a target has deployed: state_dir/deploy/<target>.json, written atomically.

Terraform's state says what exists; this record keeps what Terraform does not: each image's
inputs (so `up --image a` keeps b as it is), the version made for each digest, a rollback pin,
and the names an interrupted `up` was creating (so a rerun adopts them instead of refusing).
"""
import json
from pathlib import Path

from ..errors import UserError
from ..files import write_private


class DeployRecord:
    def __init__(self, state_dir: Path, target: str):
        self.path = state_dir / "deploy" / f"{target}.json"
        self.data = self._read()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"images": {}, "pending": []}
        except ValueError:
            raise UserError(f"{self.path}: not valid JSON; it records what was deployed; "
                            "restore it or run `./inv down` and deploy again") from None
        data.setdefault("images", {})
        data.setdefault("pending", [])
        return data

    def save(self) -> None:
        write_private(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")

    @property
    def images(self) -> dict[str, dict]:
        return self.data["images"]

    @property
    def pending(self) -> set[str]:
        return set(self.data["pending"])

    def set_pending(self, names: set[str]) -> None:
        self.data["pending"] = sorted(names)
        self.save()
