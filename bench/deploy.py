"""Deploy benchmarks: a no-op `up`, and `up` of 1 image against 20 (local target)."""
import tempfile
from pathlib import Path

from .common import Result, bench_cli

SPEC = "name: {name}\nkernels: [{{name: python3}}]\n"
PLANNED_RUNS = 3
NOOP_RUNS = 5


def _images(folder: Path, count: int) -> None:
    for n in range(count):
        image = folder / f"bench-{n:02d}"
        image.mkdir(parents=True)
        (image / "Dockerfile").write_text("FROM scratch\nCOPY marker /marker\n")
        (image / "marker").write_text(f"{n}\n")
        (image / "image.yaml").write_text(SPEC.format(name=f"bench-{n:02d}"))


def _deploy(count: int) -> tuple[float, list[float], list[str], list[float]]:
    """Seconds of a first `up` of `count` images, then of no-op `up`s (and what they printed),
    then of no-op `up --plan`s."""
    with tempfile.TemporaryDirectory(prefix=f"bench-up-{count}-") as tmp:
        root = Path(tmp)
        _images(root / "images", count)
        cli = bench_cli(root, aws_repository_prefix=f"bench{count}", deploy_stack=f"bench-{count}")
        try:
            cli.timed("aws.start")
            # Validation is measured on its own; these images are deploy payloads only.
            first, _ = cli.timed("up", "--skip-validation")
            noops, outputs, planned = [], [], []
            for _ in range(NOOP_RUNS if count == 1 else 0):
                elapsed, out = cli.timed("up", "--skip-validation")
                noops.append(elapsed)
                outputs.append(out)
            for _ in range(PLANNED_RUNS if count == 1 else 0):
                planned.append(cli.timed("up", "--skip-validation", "--plan")[0])
            return first, noops, outputs, planned
        finally:
            cli.timed("down")
            cli.timed("aws.stop")


def run() -> list[Result]:
    one, noops, outputs, planned = _deploy(1)
    quiet = all("Nothing to rebuild" in o and "Nothing to push" in o and
                "Terraform: no changes (nothing it manages changed" in o and
                "CustomImages updated" not in o for o in outputs)
    twenty, _, _, _ = _deploy(20)
    return [
        Result("no-op `up` (no build, push, API write or Terraform plan)", noops, "≤ 2.5 s",
               quiet and sorted(noops)[len(noops) // 2] <= 2.5),
        Result("no-op `up --plan` (Terraform plans anyway)", planned, "-", None),
        Result("first `up`, 1 image (provider sleeps 60 s)", [one], "-", None),
        Result("first `up`, 20 images", [twenty], "≤ 1.5 × 1 image", twenty <= 1.5 * one),
    ]
