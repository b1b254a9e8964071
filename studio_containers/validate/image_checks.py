"""Every check on one built image, run at once where they can: its layers read, its config
checked, its kernels inspected and started (or its space app served), as Studio would."""
from concurrent.futures import Future, ThreadPoolExecutor

import docker

from ..build.images import BuiltImage
from ..console import detail
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
from .lifecycle_checks import lifecycle_findings
from .space_checks import serving_findings


def validate_image(client: docker.DockerClient, image: BuiltImage, runtime: Runtime | None,
                   settings: Settings) -> list[Finding]:
    spec = image.spec
    docker_image = client.images.get(image.ref)
    home = settings.state_dir / "validate" / "home" / spec.name
    # Reading the layers is local work and the run checks mostly wait on containers: all run
    # at once, the gateway booting and its kernels probed while the inspection looks for them,
    # the lifecycle scripts run in an app of their own.
    with ThreadPoolExecutor(max_workers=4) as pool:
        layers = pool.submit(read_layers, docker_image,
                             LayerCache(settings.state_dir / "validate" / "layers"),
                             folders_readable=owners_as_in_image(client.info()))
        lifecycles = pool.submit(lifecycle_findings, client, spec, image.ref, runtime, settings)
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
        if layers.result().saved:
            detail(f"{spec.name}: {layers.result().saved} layer(s) read through `docker save` (the "
                   "engine's layer folders cannot be read from here: another machine, another "
                   "mount namespace, or not root)")
        findings = config_findings(spec, docker_image.attrs, layers.result(),
                                   int(settings.validate_max_size_gb * 1e9),
                                   int(settings.validate_warn_size_gb * 1e9))
    return findings + ran + lifecycles.result()
