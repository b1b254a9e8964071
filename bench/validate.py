"""Validation benchmarks: a first validation (no layer read before), a changed image whose lower
layers were read before (the loop's case: the Dockerfile's last step edited), the r-kernel image,
and the R image's build without layer cache (what a user's first build of it costs)."""
import secrets
import shutil
import tempfile
from pathlib import Path

from studio_containers import PROJECT_ROOT

from .common import Result, bench_cli

RUNS = 3


def _first_build(root: Path, name: str) -> float:
    """Seconds to build a copy of an image whose every step misses the layer cache (the base is
    cached, as on any machine that built one image before)."""
    folder = root / "images" / name
    shutil.copytree(PROJECT_ROOT / "images" / name, folder)
    dockerfile = folder / "Dockerfile"
    lines = dockerfile.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FROM ")) + 1
    # A build argument declared right after FROM is part of every later step's cache key.
    lines.insert(at, f"ARG BENCH_NONCE={secrets.token_hex(8)}")
    dockerfile.write_text("\n".join(lines) + "\n")
    cli = bench_cli(root)
    return cli.timed("build", "--image", name)[0]


def _median(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def _first_validation(image: str) -> float:
    """Seconds of `invoke validate` with a new state folder: no layer of the image read before."""
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        cli = bench_cli(Path(tmp))
        cli.env["INVOKE_IMAGES_DIR"] = str(PROJECT_ROOT / "images")
        return cli.timed("validate", "--image", image)[0]


def _changed_validations(root: Path) -> list[float]:
    """Seconds of `invoke validate` of python-basic with a new last step each time (built first,
    untimed): every layer below it was read by an earlier validation."""
    folder = root / "images" / "python-basic"
    shutil.copytree(PROJECT_ROOT / "images" / "python-basic", folder)
    original = (folder / "Dockerfile").read_text()
    cli = bench_cli(root)
    cli.timed("validate", "--image", "python-basic")
    samples = []
    for _ in range(RUNS):
        (folder / "Dockerfile").write_text(
            original + f"RUN echo {secrets.token_hex(8)} > /tmp/bench-change\n")
        cli.timed("build", "--image", "python-basic")
        samples.append(cli.timed("validate", "--image", "python-basic")[0])
    return samples


def run() -> list[Result]:
    results = []
    _first_validation("python-basic")                  # builds what is missing, untimed
    first = [_first_validation("python-basic") for _ in range(RUNS)]
    results.append(Result("validate python-basic, first time (every layer read, one kernel start)",
                          first, "≤ 5 s", _median(first) <= 5))
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        changed = _changed_validations(Path(tmp))
    results.append(Result("validate python-basic after a change to its last step (lower layers "
                          "read before)", changed, "≤ 2 s", _median(changed) <= 2))
    _first_validation("r-kernel")
    r_kernel = [_first_validation("r-kernel") for _ in range(RUNS)]
    results.append(Result("validate r-kernel, first time (its R kernel started)", r_kernel,
                          "≤ 10 s", _median(r_kernel) <= 10))
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        build = _first_build(Path(tmp), "r-kernel")
    results.append(Result("build r-kernel without layer cache (R from Debian's packages)", [build],
                          "-", None))
    return results
