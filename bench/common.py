"""Timing and the results table shared by the benchmarks."""
import os
import platform
import statistics
from dataclasses import dataclass
from pathlib import Path

from studio_containers.cli_process import Cli, CliFailed


@dataclass
class Result:
    name: str
    samples: list[float]
    goal: str
    ok: bool | None
    unit: str = "s"

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def row(self) -> list[str]:
        digits = 1 if self.unit == "ms" else 2
        spread = (f"{min(self.samples):.{digits}f}–{max(self.samples):.{digits}f}"
                  if len(self.samples) > 1 else "-")
        ordered = sorted(self.samples)
        p95 = (f"{ordered[max(0, int(round(0.95 * len(ordered))) - 1)]:.{digits}f}"
               if len(ordered) >= 5 else "-")
        verdict = "-" if self.ok is None else ("ok" if self.ok else "MISSED")
        return [self.name, f"{self.median:.{digits}f} {self.unit}", spread, p95,
                str(len(self.samples)), self.goal, verdict]


class BenchCli(Cli):
    """The CLI with its own state and images folders; a failing step ends the benchmark cleanly."""

    def timed(self, *args: str) -> tuple[float, str]:
        try:
            return super().timed(*args)
        except CliFailed as exc:
            raise SystemExit(f"benchmark step failed: {exc}") from None


def bench_cli(root: Path, **settings) -> BenchCli:
    return BenchCli(root / "state", images_dir=root / "images", **settings)


def machine() -> str:
    return (f"{platform.node()}: {os.cpu_count()} cores, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
            f"Python {platform.python_version()}")


def print_table(results: list[Result]) -> None:
    headers = ["benchmark", "median", "spread", "p95", "runs", "goal", "result"]
    rows = [headers] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    print(f"\nMachine: {machine()}")
    for index, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
