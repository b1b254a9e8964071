"""Validation benchmarks: `invoke validate --again` of the shipped python-basic and r-kernel images,
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


def run() -> list[Result]:
    results = []
    for image, what in (("python-basic", "one kernel start"), ("r-kernel", "its R kernel started")):
        with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
            cli = bench_cli(Path(tmp))
            cli.env["INVOKE_IMAGES_DIR"] = str(PROJECT_ROOT / "images")
            cli.timed("validate", "--image", image)        # builds what is missing
            samples = [cli.timed("validate", "--image", image, "--again")[0] for _ in range(RUNS)]
        results.append(Result(f"validate {image} (all checks, {what})", samples, "≤ 10 s",
                              sorted(samples)[len(samples) // 2] <= 10))
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        build = _first_build(Path(tmp), "r-kernel")
    results.append(Result("build r-kernel without layer cache (R from Debian's packages)", [build],
                          "-", None))
    return results
