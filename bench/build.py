"""Build benchmarks: the legacy builder against BuildKit on the same image in the same run (cold,
cached rebuild, last step changed), and a cold engine building with the registry cache against
without it.

The image is a copy of python-basic (no BuildKit-only feature, so both builders take it). Each
figure is the build's own time as the tool reports it ("Built NAME in N s"), not the CLI's start.
A cold build misses every cache: a new build argument right after FROM is part of every later
step's cache key, for both builders. The registry-cache rows start an empty engine of their own
for each sample (sharing this machine's network, so it reaches the local ECR), as a CI runner is.
"""
import re
import secrets
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import docker

from studio_containers import PROJECT_ROOT

from .common import BenchCli, Result, bench_cli

NAME = "bench-build"
RUNS = 3
BUILDERS = ("legacy", "buildkit")
BUILT_RE = re.compile(rf"Built {NAME} in ([\d.]+)s \((\d+) step\(s\), (\d+) from cache\)")


def _image(root: Path, nonce: str, last_step: str = "") -> None:
    folder = root / "images" / NAME
    if not folder.exists():
        shutil.copytree(PROJECT_ROOT / "images" / "python-basic", folder)
        spec = folder / "image.yaml"
        spec.write_text(spec.read_text().replace("name: python-basic", f"name: {NAME}"))
    original = (PROJECT_ROOT / "images" / "python-basic" / "Dockerfile").read_text().splitlines()
    at = next(i for i, line in enumerate(original) if line.startswith("FROM ")) + 1
    lines = original[:at] + [f"ARG BENCH_NONCE={nonce}"] + original[at:]
    (folder / "Dockerfile").write_text("\n".join(lines) + "\n" + last_step)


def _built(cli: BenchCli, *args: str) -> tuple[float, int]:
    """(seconds the build took, steps taken from the cache)."""
    _, out = cli.timed("build", "--image", NAME, *args)
    match = BUILT_RE.search(out)
    if match is None:
        raise SystemExit(f"benchmark step built nothing:\n{out}")
    return float(match[1]), int(match[3])


def _untag(client: docker.DockerClient) -> None:
    """Remove the image's tags, keeping its layers (the legacy builder's cache) and BuildKit's."""
    for image in client.images.list(name=f"studio-containers/{NAME}"):
        for tag in image.tags:
            client.images.remove(tag, noprune=True)


def _builder_rows(builder: str) -> dict[str, list[float]]:
    client = docker.from_env()
    samples = {"cold": [], "cached": [], "last step": []}
    with tempfile.TemporaryDirectory(prefix=f"bench-build-{builder}-") as tmp:
        root = Path(tmp)
        cli = bench_cli(root, build_builder=builder, build_registry_cache="false")
        for _ in range(RUNS):
            nonce = secrets.token_hex(8)
            _image(root, nonce)
            samples["cold"].append(_built(cli)[0])
            _untag(client)
            samples["cached"].append(_built(cli)[0])
            _image(root, nonce, f"RUN echo {secrets.token_hex(8)} > /tmp/bench-change\n")
            samples["last step"].append(_built(cli)[0])
            _untag(client)
    return samples


def _registry_rows() -> tuple[list[float], list[float], list[int]]:
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.engines import Engine   # a second engine of the bench's own, as the tests have
    with_cache, without, cached_steps = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-build-registry-") as tmp:
        root = Path(tmp)
        _image(root, secrets.token_hex(8))
        cli = bench_cli(root, aws_repository_prefix="bench-cache")
        try:
            cli.timed("push", "--image", NAME, "--create-repository")   # the cache travels with it
            for _ in range(RUNS):
                for registry_cache, samples in (("true", with_cache), ("false", without)):
                    engine = Engine(own_network=False)
                    try:
                        engine.start()
                        cli.env.update(DOCKER_HOST=engine.url,
                                       INVOKE_BUILD_REGISTRY_CACHE=registry_cache)
                        if registry_cache == "true":
                            _, out = cli.timed("push", "--image", NAME)
                            match = BUILT_RE.search(out)
                            samples.append(float(match[1]))
                            cached_steps.append(int(match[3]))
                        else:
                            samples.append(_built(cli)[0])
                    finally:
                        cli.env.pop("DOCKER_HOST", None)
                        engine.remove()
        finally:
            cli.env.pop("INVOKE_BUILD_REGISTRY_CACHE", None)
            cli.timed("aws.stop")
    return with_cache, without, cached_steps


def run() -> list[Result]:
    by_builder = {builder: _builder_rows(builder) for builder in BUILDERS}
    results = []
    for row, what in (("cold", "cold (no layer cache)"), ("cached", "cached rebuild (tag removed)"),
                      ("last step", "last step changed")):
        legacy, buildkit = by_builder["legacy"][row], by_builder["buildkit"][row]
        results.append(Result(f"build python-basic copy, {what}: legacy builder", legacy, "-", None))
        results.append(Result(f"build python-basic copy, {what}: BuildKit", buildkit, "≤ legacy",
                              statistics.median(buildkit) <= statistics.median(legacy)))
    with_cache, without, cached = _registry_rows()
    results.append(Result("cold engine, build without the registry cache", without, "-", None))
    results.append(Result(f"cold engine, build with the registry cache ({min(cached)} steps "
                          "cached)", with_cache, "< without",
                          statistics.median(with_cache) < statistics.median(without)))
    return results
