"""Validation benchmark: `invoke validate --again` of the shipped python-basic image."""
import tempfile
from pathlib import Path

from studio_containers import PROJECT_ROOT

from .common import Result, bench_cli

RUNS = 3


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        cli = bench_cli(Path(tmp))
        cli.env["INVOKE_IMAGES_DIR"] = str(PROJECT_ROOT / "images")
        cli.timed("validate", "--image", "python-basic")        # builds what is missing
        samples = [cli.timed("validate", "--image", "python-basic", "--again")[0]
                   for _ in range(RUNS)]
    return [Result("validate python-basic (all checks, one kernel start)", samples, "≤ 10 s",
                   sorted(samples)[len(samples) // 2] <= 10)]
