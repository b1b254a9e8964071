"""Timing and the results table shared by the benchmarks."""
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from studio_containers import PROJECT_ROOT
from studio_containers.ports import free_port


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


class Cli:
    """`invoke` in its own state folder, images folder and ports, timed per call."""

    def __init__(self, root: Path, **settings):
        self.env = dict(os.environ, INVOKE_STATE_DIR=str(root / "state"),
                        INVOKE_IMAGES_DIR=str(root / "images"),
                        INVOKE_AWS_PORT=str(free_port()),
                        INVOKE_AWS_REGISTRY_PORT=str(free_port()))
        self.env.update({f"INVOKE_{k.upper()}": str(v) for k, v in settings.items()})

    def timed(self, *args: str) -> tuple[float, str]:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "invoke", "--search-root",
                               str(PROJECT_ROOT), *args], env=self.env, capture_output=True,
                              text=True)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"invoke {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return elapsed, done.stdout


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
