"""Runs every check on built images, prints one line per finding, remembers what passed."""
import time
from concurrent.futures import Future, ThreadPoolExecutor

import docker

from ..build.images import BuiltImage
from ..console import say, warn
from ..errors import UserError
from ..runtime.volume import Runtime
from ..settings import Settings
from .config_checks import config_findings
from .findings import Finding
from .kernel_checks import (
    inspect_image,
    kernel_findings,
    run_probes,
    start_checks_gateway,
    start_findings,
)
from .layer_cache import LayerCache
from .layer_dirs import owners_as_in_image
from .layers import read_layers
from .record import PassRecord, pass_key
from .space_checks import serving_findings


def validate_image(client: docker.DockerClient, image: BuiltImage, runtime: Runtime | None,
                   settings: Settings) -> list[Finding]:
    spec = image.spec
    docker_image = client.images.get(image.ref)
    home = settings.state_dir / "validate" / "home" / spec.name
    # Reading the layers is local work and the run checks mostly wait on containers: all run
    # at once, the gateway booting and its kernels probed while the inspection looks for them.
    with ThreadPoolExecutor(max_workers=3) as pool:
        layers = pool.submit(read_layers, docker_image,
                             LayerCache(settings.state_dir / "validate" / "layers"),
                             folders_readable=owners_as_in_image(client.info()))
        if spec.is_space:
            ran = serving_findings(client, spec, image.ref, home, settings)
        else:
            gateway = pool.submit(start_checks_gateway, client, spec, image.ref, runtime, home,
                                  settings.state_dir, settings.ready_timeout)
            # The probes wait for the inspection's verdict on which kernels may start (it comes
            # before the gateway answers), so a kernel it rules out is never started.
            startable: Future = Future()
            probes = pool.submit(lambda: run_probes(gateway.result(), settings.ready_timeout,
                                                    startable.result()))
            try:
                report = inspect_image(client, spec, image.ref, runtime)
                kernel_problems, may_start = kernel_findings(spec, report)
                startable.set_result(may_start)
                ran = kernel_problems + start_findings(gateway.result(), spec, may_start,
                                                       probes.result())
            finally:
                if not startable.done():
                    startable.set_result({})       # the inspection failed: nothing to probe
                probes.exception()        # done (or failed) before its gateway goes
                gateway.result().remove()
        findings = config_findings(spec, docker_image.attrs, layers.result(),
                                   int(settings.validate_max_size_gb * 1e9),
                                   int(settings.validate_warn_size_gb * 1e9))
    return findings + ran


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
