"""Runs every check on built images, prints one line per finding, remembers what passed.

The checks' modules (validate/image_checks.py) load only when an image is checked: an image
that passed before and has not changed, as at most `invoke local` starts, needs none of them."""
import time

import docker

from ..build.images import BuiltImage
from ..console import say, warn
from ..errors import UserError
from ..runtime.volume import Runtime
from ..settings import Settings
from .findings import Finding
from .record import PassRecord, pass_key


def validate_images(client: docker.DockerClient, images: list[BuiltImage], runtime: Runtime,
                    settings: Settings, use_record: bool = True) -> dict[str, list[Finding]]:
    """Findings per image; raises UserError naming the images that fail."""
    record = PassRecord(settings.state_dir / "validated.json")
    results = {}
    for image in images:
        key = pass_key(image, settings)
        if use_record and record.passed(image.spec.name, key):
            say(f"{image.spec.name} passed validation before and has not changed")
            results[image.spec.name] = []
            continue
        started = time.monotonic()
        say(f"Validating {image.spec.name} ({image.ref}) against Studio's failure classes")
        from .image_checks import validate_image
        findings = validate_image(client, image, runtime, settings)
        for finding in findings:
            line = finding.line(image.spec.name)
            print(line, flush=True) if not finding.warning else warn(line.removeprefix("warning "))
        if any(not f.warning for f in findings):
            record.forget(image.spec.name)
        else:
            record.remember(image.spec.name, key)
            say(f"{image.spec.name}: no failure found ({time.monotonic() - started:.1f}s)")
        results[image.spec.name] = findings
    failing = sorted(n for n, f in results.items() if any(not x.warning for x in f))
    if failing:
        classes = sorted({f.cls for n in failing for f in results[n] if not f.warning})
        raise UserError(f"validation failed for {', '.join(failing)} (class "
                        f"{', '.join(map(str, classes))}; see the lines above)")
    return results
