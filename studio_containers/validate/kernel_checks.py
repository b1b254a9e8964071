"""Checks that run the image with our gateway runtime: classes 1, 5 and 7, and a real kernel start.

Kernels are first located the way Studio does (the image's `python` on PATH, its sys.prefix,
conda environments) *without* the home mounted, so that kernels the home mount would hide can
be told apart from kernels that are missing; then each kernel is started through the gateway,
as the spec's UID/GID with a home mounted, and runs code.
"""
import dataclasses
import json
import secrets
from pathlib import Path

import docker
from docker.errors import ContainerError

from ..errors import UserError
from ..ports import free_port
from ..runtime.gateway import gateway_container, prepare_home, remove, start_gateway
from ..runtime.kernel_client import execute
from ..runtime.volume import MOUNT_POINT, Runtime
from ..spec import ImageSpec
from .findings import Finding

PROBE = "import os, sys; print(os.getuid(), os.getgid(), sys.executable)"


def inspect_image(client: docker.DockerClient, spec: ImageSpec, image: str,
                  runtime: Runtime) -> dict:
    try:
        out = client.containers.run(
            image, entrypoint=runtime.entrypoint, command=[], user=f"{spec.uid}:{spec.gid}",
            environment={"HOME": spec.mount_path, "SC_MODE": "inspect"},
            volumes={runtime.volume: {"bind": MOUNT_POINT, "mode": "ro"}},
            network_mode="none", remove=True, stdout=True, stderr=False)
    except ContainerError as exc:
        raise UserError(f"inspecting {image} failed: {exc.stderr.decode(errors='replace')[-300:]}"
                        ) from None
    return json.loads(out.decode().strip().splitlines()[-1])


def _under(path: str | None, folder: str) -> bool:
    return bool(path) and (path == folder or path.startswith(folder.rstrip("/") + "/"))


def kernel_findings(spec: ImageSpec, report: dict) -> tuple[list[Finding], list[str]]:
    """Findings of classes 1, 5 and 7, and the kernels that may be started."""
    found, startable = [], []
    python, prefix = report.get("python"), report.get("prefix")
    seen_by = (f"{python} (sys.prefix {prefix})" if python else "no python on PATH")
    for kernel in spec.kernels:
        info = report["kernels"].get(kernel.name)
        elsewhere = report["elsewhere"].get(kernel.name, [])
        if info and _under(info.get("dir"), spec.mount_path):
            found.append(Finding(5, f"kernelspec {kernel.name} is in {info['dir']}, under the "
                                    f"mount path {spec.mount_path}",
                                 "install it into the image's Python (e.g. `python -m ipykernel "
                                 "install --sys-prefix`), not into the home"))
        elif info and _under(info.get("argv0_real"), spec.mount_path):
            found.append(Finding(5, f"kernel {kernel.name} runs {info['argv0_real']}, under the "
                                    f"mount path {spec.mount_path}",
                                 "install the kernel's interpreter outside the home"))
        elif info:
            startable.append(kernel.name)
        elif not python or elsewhere:
            where = f" but it is in {', '.join(elsewhere)}" if elsewhere else ""
            found.append(Finding(7, f"Studio looks for kernel {kernel.name} through "
                                    f"{seen_by}{where}",
                                 "put the Python that holds the kernels first on PATH (ENV PATH=…), "
                                 "or install the kernel into the Python on PATH"))
        else:
            have = ", ".join(sorted(report["kernels"])) or "none"
            found.append(Finding(1, f"kernel {kernel.name} is not in the image (found through "
                                    f"{seen_by}: {have})",
                                 f"install a kernelspec named {kernel.name}, or name one of "
                                 f"{have} in image.yaml"))
    return found, startable


def start_findings(client: docker.DockerClient, spec: ImageSpec, image: str, runtime: Runtime,
                   home: Path, state_dir: Path, kernels: list[str],
                   timeout: float) -> list[Finding]:
    """Starts the gateway as Studio would and runs code in each kernel."""
    if not kernels:
        return []
    token = secrets.token_urlsafe(24)
    gc = gateway_container(spec, image, runtime, prepare_home(home, spec), token, free_port(),
                           state_dir)
    # Its own name, so a running `invoke local` of the same image is left alone.
    gc = dataclasses.replace(gc, name=f"studio-containers-validate-{spec.name}-"
                                      f"{secrets.token_hex(4)}")
    try:
        container = start_gateway(client, gc, spec, timeout)
    except UserError as exc:
        return [Finding(7, f"the gateway could not start the image's kernels: {exc}",
                        "make the kernels' Python work as the spec's user "
                        f"{spec.uid}:{spec.gid}")]
    found = []
    try:
        for name in kernels:
            try:
                output = execute(gc.url, token, name, PROBE, timeout=timeout).split()
            except Exception as exc:  # noqa: BLE001 - HTTP, websocket or kernel errors alike
                found.append(Finding(7, f"kernel {name} did not start or run code: {exc}",
                                     "check its kernel.json argv, that its Python has ipykernel "
                                     f"and that it runs as {spec.uid}:{spec.gid}"))
                continue
            if output[:2] != [str(spec.uid), str(spec.gid)]:
                found.append(Finding(3, f"kernel {name} ran as {':'.join(output[:2])}",
                                     f"run as {spec.uid}:{spec.gid}"))
    finally:
        remove(container)
    return found
