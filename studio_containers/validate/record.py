"""Which images passed validation, so that an unchanged image is not checked again.

A pass is keyed by everything that can change its outcome: the image id, its spec, the size
limits, the lifecycle scripts offered with it and their time limit, and the checks' own source
(this folder, Studio's rules, the spec loaders, the containers the checks start, how a
lifecycle script runs, and the in-container launcher).
"""
import hashlib
import json
from pathlib import Path

from .. import lifecycle_spec, runtime, spec, studio
from ..build.images import BuiltImage
from ..files import write_private
from ..lifecycle_spec import offered_with
from ..runtime import RUNTIME_DIR
from ..settings import Settings

_RUNTIME = Path(runtime.__file__).parent
CHECKS_SOURCE = [*sorted(Path(__file__).parent.glob("*.py")), Path(studio.__file__),
                 Path(spec.__file__), Path(lifecycle_spec.__file__),
                 *(_RUNTIME / f"{m}.py" for m in ("container", "gateway", "space", "home",
                                                  "lifecycle", "start", "network", "user_nat")),
                 RUNTIME_DIR / "launch.py"]


def pass_key(image: BuiltImage, settings: Settings) -> str:
    digest = hashlib.sha256(image.image_id.encode())
    digest.update(image.spec.spec_file.read_bytes())
    digest.update(f"{settings.validate_max_size_gb}/{settings.validate_warn_size_gb}".encode())
    # A script runs on the network the app would have: what it reaches can change its outcome.
    digest.update(f"lifecycle limit {settings.lifecycle_timeout} network {settings.local_network} "
                  f"{settings.local_network_access}".encode())
    for script in offered_with(settings.lifecycle_dir, image.spec.app_type):
        digest.update(script.name.encode() + b"\0" + script.spec_file.read_bytes() + b"\0"
                      + script.script.read_bytes())
    for source in CHECKS_SOURCE:
        digest.update(source.read_bytes())
    return digest.hexdigest()


class PassRecord:
    """state_dir/validated.json: image name → key of its last pass."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            self.data = {}

    def passed(self, name: str, key: str) -> bool:
        return self.data.get(name) == key

    def remember(self, name: str, key: str) -> None:
        self.data[name] = key
        self._save()

    def forget(self, name: str) -> None:
        if self.data.pop(name, None) is not None:
            self._save()

    def _save(self) -> None:
        write_private(self.path, json.dumps(self.data, indent=1, sort_keys=True))
