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
import requests
from docker.errors import ContainerError, DockerException
from docker.models.containers import Container

from ..errors import UserError
from ..ports import free_port
from ..runtime.container import remove
from ..runtime.gateway import GatewayContainer, gateway_container, start_gateway
from ..runtime.home import prepare_home
from ..runtime.kernel_client import execute
from ..runtime.volume import MOUNT_POINT, Runtime
from ..spec import ImageSpec
from .findings import Finding

# Per kernel language (kernel.json's, lower-cased): code printing the kernel's UID and GID first.
# Base R has no getuid(), hence `id`.
PROBES = {
    "python": "import os, sys; print(os.getuid(), os.getgid(), sys.executable)",
    "r": 'cat(system("id -u", intern = TRUE), system("id -g", intern = TRUE), "\\n")',
}
# What each language's kernel needs besides its interpreter, for the fix of a kernel that fails.
KERNEL_PACKAGES = {"python": "that its Python has ipykernel", "r": "that its R has IRkernel"}


def language_key(language: str | None) -> str:
    """kernel.json's language as PROBES keys it; none given is taken as Python, Studio's default."""
    return (language or "python").strip().lower()


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


def _missing_interpreter(name: str, info: dict, search_path: str | None) -> Finding:
    argv0, spec_dir = info.get("argv0"), info.get("dir")
    kernel_json = f"{spec_dir}/kernel.json" if spec_dir else "its kernel.json"
    if not argv0:
        return Finding(7, f"kernel {name} names no interpreter ({kernel_json} has no argv, or "
                          f"cannot be read)", f"give {kernel_json} an argv")
    if "/" in argv0:
        evidence = f"kernel {name} runs {argv0}, which is not an executable file in the image"
    else:
        searched = f" ({search_path})" if search_path else ""
        evidence = f"kernel {name} runs {argv0}, which is not on the image's PATH{searched}"
    if language_key(info.get("language")) == "r":
        fix = ("install R (Debian: `apt-get install r-base-core`), or put the bin folder of the "
               "R that has IRkernel first on PATH (ENV PATH=<R's bin>:$PATH), or fix argv in "
               f"{kernel_json}")
    else:
        fix = f"install the interpreter in the image, or fix argv in {kernel_json}"
    return Finding(7, evidence, fix)


def kernel_findings(spec: ImageSpec, report: dict) -> tuple[list[Finding], dict[str, str | None]]:
    """Findings of classes 1, 5 and 7, and the kernels that may be started, with their language
    as the inspect report gives it."""
    found, startable = [], {}
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
        elif info and info.get("argv0_found") is False:
            found.append(_missing_interpreter(kernel.name, info, report.get("path")))
        elif info and info.get("irkernel") is False:
            found.append(Finding(7, f"IRkernel is not installed for {info.get('argv0')} (kernel "
                                    f"{kernel.name})",
                                 "`apt-get install r-cran-irkernel` if that R is Debian's "
                                 "r-base-core, else `R -e 'install.packages(\"IRkernel\")'` in a "
                                 "RUN step (at build time, not into the home)"))
        elif info:
            startable[kernel.name] = info.get("language")
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


@dataclasses.dataclass
class ChecksGateway:
    """The gateway validation starts: its description, and its container or why it failed."""
    gc: GatewayContainer
    token: str
    container: Container | None
    error: Exception | None

    def remove(self) -> None:
        """Best effort: a gateway the engine cannot remove now must not hide the findings (its
        labelled container is swept with the others)."""
        if self.container is not None:
            try:
                remove(self.container)
            except DockerException:
                pass


def start_checks_gateway(client: docker.DockerClient, spec: ImageSpec, image: str,
                         runtime: Runtime, home: Path, state_dir: Path,
                         timeout: float) -> ChecksGateway:
    """Starts the gateway as Studio would. Independent of which kernels the inspection finds,
    so the validator starts it beside the inspection; a failure to start is kept, and reported
    only when there are kernels to start (a missing kernel has its own finding)."""
    token = secrets.token_urlsafe(24)
    gc = gateway_container(spec, image, runtime, prepare_home(home, spec), token, free_port(),
                           state_dir)
    # Its own name, so a running `invoke local` of the same image is left alone.
    gc = dataclasses.replace(gc, name=f"studio-containers-validate-{spec.name}-"
                                      f"{secrets.token_hex(4)}")
    try:
        return ChecksGateway(gc, token, start_gateway(client, gc, spec, timeout), None)
    except Exception as exc:  # noqa: BLE001 - the engine's errors too: said as the finding
        return ChecksGateway(gc, token, None, exc)


ANY_KERNEL = ""     # run_probes' key for what happened to every kernel (the listing failed)


@dataclasses.dataclass(frozen=True)
class Probe:
    """What one kernel answered to its language's probe: its output's words, or the error."""
    output: list[str] | None
    error: Exception | None = None


def offered(gateway: ChecksGateway, timeout: float) -> dict[str, str | None]:
    """The kernels the gateway offers, with their kernel.json language."""
    specs = requests.get(f"{gateway.gc.url}/api/kernelspecs", timeout=timeout,
                         headers={"Authorization": f"token {gateway.token}"})
    specs.raise_for_status()
    return {name: (body.get("spec") or {}).get("language")
            for name, body in specs.json()["kernelspecs"].items()}


def run_probes(gateway: ChecksGateway, timeout: float, startable: dict[str, str | None]
               ) -> dict[str, Probe]:
    """Starts each kernel the gateway offers that the inspection lets start, and runs its
    language's probe (the language as the gateway's kernelspec gives it)."""
    if gateway.container is None or not startable:
        return {}
    try:
        kernels = offered(gateway, timeout)
    except Exception as exc:  # noqa: BLE001 - HTTP errors alike: each kernel's finding says it
        return {ANY_KERNEL: Probe(None, exc)}
    probes = {}
    for name, language in kernels.items():
        if name not in startable:
            continue
        # A kernel in a language without a probe is still started: an empty cell shows that it
        # answers, though not as whom it runs.
        code = PROBES.get(language_key(language), "")
        try:
            # Not shut down one by one: removing the gateway ends them all.
            probes[name] = Probe(execute(gateway.gc.url, gateway.token, name, code,
                                         timeout=timeout, shutdown=False).split())
        except Exception as exc:  # noqa: BLE001 - HTTP, websocket or kernel errors alike
            probes[name] = Probe(None, exc)
    return probes


def start_findings(gateway: ChecksGateway, spec: ImageSpec, kernels: dict[str, str | None],
                   probes: dict[str, Probe]) -> list[Finding]:
    """Findings of the kernels that may start (name -> language, as kernel_findings gives
    them) from what their probes answered through the started gateway."""
    if not kernels:
        return []
    if gateway.container is None:
        return [Finding(7, f"the gateway could not start the image's kernels: {gateway.error}",
                        "make the kernels' Python work as the spec's user "
                        f"{spec.uid}:{spec.gid}")]
    found = []
    for name, language in kernels.items():
        key = language_key(language)
        needs = KERNEL_PACKAGES.get(key)
        probe = probes.get(name) or probes.get(ANY_KERNEL) or Probe(None, LookupError(
            "the gateway does not offer it"))
        if probe.error is not None:
            found.append(Finding(7, f"kernel {name} did not start or run code: {probe.error}",
                                 "check its kernel.json argv, " + (f"{needs} " if needs else "")
                                 + f"and that it runs as {spec.uid}:{spec.gid}"))
        elif key not in PROBES:
            found.append(Finding(3, f"kernel {name} started, but its language {language} has "
                                    "no probe here, so its UID/GID were not checked",
                                 f"check in a notebook that it runs as {spec.uid}:{spec.gid}",
                                 warning=True))
        elif probe.output[:2] != [str(spec.uid), str(spec.gid)]:
            found.append(Finding(3, f"kernel {name} ran as {':'.join(probe.output[:2])}",
                                 f"run as {spec.uid}:{spec.gid}"))
    return found
