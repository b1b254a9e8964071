"""The Terraform working folder of a target: a copy of terraform/ plus generated inputs.

Each target (local, aws) has its own folder under state_dir/terraform/, so their .terraform
folders, backends and local states never mix; the copy is refreshed from terraform/ on every run
and `terraform init` runs again only when the configuration or the backend changed.
"""
import hashlib
import json
import shutil
from pathlib import Path

from .. import PROJECT_ROOT
from ..files import write_private

SOURCE = PROJECT_ROOT / "terraform"
TFVARS = "terraform.tfvars.json"
INIT_MARK = ".studio-containers-init"


class StackFolder:
    def __init__(self, state_dir: Path, target: str):
        self.root = state_dir / "terraform" / target
        self.stack = self.root / "stack"

    def sync(self, backend_hcl: str) -> None:
        """Copies terraform/ in; removes .tf files that are no longer there."""
        for source in SOURCE.rglob("*"):
            if source.is_dir() or ".terraform" in source.parts[len(SOURCE.parts):]:
                continue
            if source.suffix not in (".tf", ".hcl"):
                continue
            target = self.root / source.relative_to(SOURCE)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != source.read_bytes():
                shutil.copyfile(source, target)
        for copied in self.root.rglob("*.tf"):
            relative = copied.relative_to(self.root)
            if ".terraform" in relative.parts or relative == Path("stack/backend.tf"):
                continue
            if not (SOURCE / relative).exists():
                copied.unlink()
        backend = self.stack / "backend.tf"
        if backend_hcl:
            if not backend.exists() or backend.read_text() != backend_hcl:
                backend.write_text(backend_hcl)
        else:
            backend.unlink(missing_ok=True)

    def needs_init(self, backend_config: dict) -> bool:
        mark = self.stack / INIT_MARK
        return not mark.exists() or mark.read_text() != self.fingerprint(backend_config)

    def mark_initialised(self, backend_config: dict) -> None:
        (self.stack / INIT_MARK).write_text(self.fingerprint(backend_config))

    def inputs_text(self) -> str:
        try:
            return (self.stack / TFVARS).read_text()
        except FileNotFoundError:
            return ""

    def fingerprint(self, backend_config: dict) -> str:
        """The configuration Terraform runs: the .tf files, the provider lock and the backend."""
        digest = hashlib.sha256(json.dumps(backend_config, sort_keys=True).encode())
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if path.is_file() and ".terraform" not in relative.parts and (
                    path.suffix == ".tf" or path.name == ".terraform.lock.hcl"):
                digest.update(str(relative).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def write_inputs(self, inputs: dict) -> None:
        path = self.stack / TFVARS
        text = json.dumps(inputs, indent=2, sort_keys=True) + "\n"
        if not path.exists() or path.read_text() != text:
            write_private(path, text)

