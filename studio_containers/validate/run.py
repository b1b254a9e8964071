"""Runs every check on built images, prints one line per finding, remembers what passed."""
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker

from ..build import BuiltImage
from ..console import say, warn
from ..errors import UserError
from ..runtime import RUNTIME_DIR, Runtime
from ..settings import Settings
from .findings import Finding
from .kernel_checks import inspect_image, kernel_findings, start_findings
from .layers import read_layers
from .static_checks import config_findings

CHECKS_SOURCE = [*sorted(Path(__file__).parent.glob("*.py")), RUNTIME_DIR / "launch.py"]


def validate_image(client: docker.DockerClient, image: BuiltImage, runtime: Runtime,
                   settings: Settings) -> list[Finding]:
    spec = image.spec
    docker_image = client.images.get(image.ref)
    # Reading the layers is local work and the kernel checks mostly wait on containers: both
    # run at once.
    with ThreadPoolExecutor(max_workers=1) as pool:
        layers = pool.submit(read_layers, docker_image)
        report = inspect_image(client, spec, image.ref, runtime)
        kernel_problems, startable = kernel_findings(spec, report)
        home = settings.state_dir / "validate" / "home" / spec.name
        started = start_findings(client, spec, image.ref, runtime, home, settings.state_dir,
                                 startable, settings.ready_timeout)
        findings = config_findings(spec, docker_image.attrs, layers.result(),
                                   int(settings.validate_max_size_gb * 1e9),
                                   int(settings.validate_warn_size_gb * 1e9))
    return findings + kernel_problems + started


def validate_images(client: docker.DockerClient, images: list[BuiltImage], runtime: Runtime,
                    settings: Settings, use_record: bool = True) -> dict[str, list[Finding]]:
    """Findings per image; raises UserError naming the images that fail."""
    record = _Record(settings.state_dir / "validated.json")
    results = {}
    for image in images:
        key = _key(image, settings)
        if use_record and record.get(image.spec.name) == key:
            say(f"{image.spec.name} passed validation before and has not changed")
            results[image.spec.name] = []
            continue
        started = time.monotonic()
        say(f"Validating {image.spec.name} ({image.ref}) against Studio's failure classes")
        findings = validate_image(client, image, runtime, settings)
        for finding in findings:
            line = finding.line(image.spec.name)
            print(line, flush=True) if not finding.warning else warn(line.removeprefix("warning "))
        failures = [f for f in findings if not f.warning]
        if failures:
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


def _key(image: BuiltImage, settings: Settings) -> str:
    digest = hashlib.sha256(image.image_id.encode())
    digest.update(image.spec.spec_file.read_bytes())
    digest.update(f"{settings.validate_max_size_gb}/{settings.validate_warn_size_gb}".encode())
    for source in CHECKS_SOURCE:
        digest.update(source.read_bytes())
    return digest.hexdigest()


class _Record:
    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            self.data = {}

    def get(self, name: str) -> str | None:
        return self.data.get(name)

    def remember(self, name: str, key: str) -> None:
        self.data[name] = key
        self._save()

    def forget(self, name: str) -> None:
        if self.data.pop(name, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        os.replace(temporary, self.path)


SKIP_FLAG = "--skip-validation"


def check_or_skip(client: docker.DockerClient, images: list[BuiltImage], runtime: Runtime | None,
                  settings: Settings, skip: bool) -> None:
    """What `local` and `up` do first: refuse a failing image unless told to skip, visibly."""
    if skip:
        warn(f"validation skipped ({SKIP_FLAG}): Studio may fail to start "
             + ", ".join(i.spec.name for i in images))
        return
    try:
        validate_images(client, images, runtime, settings)
    except UserError as exc:
        raise UserError(f"{exc}; fix the image, or pass {SKIP_FLAG} to go ahead anyway") from None
