"""What the tool tells the user while it works: short progress lines and failing tools' tails."""
import sys
from collections import deque
from typing import Iterable

TAIL_LINES = 25


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def detail(message: str) -> None:
    print(f"    {message}", flush=True)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def show_tail(title: str, lines: Iterable[str]) -> None:
    """Print the last lines of a failing tool's output, framed so they stand apart."""
    lines = [line.rstrip("\n") for line in lines]
    if not lines:
        return
    print(f"---- last lines of {title} ----", file=sys.stderr)
    for line in lines[-TAIL_LINES:]:
        print(f"  | {line}", file=sys.stderr)
    print("----", file=sys.stderr, flush=True)


class Tail(deque):
    """Keeps the last lines of a stream for show_tail."""

    def __init__(self, size: int = TAIL_LINES):
        super().__init__(maxlen=size)

    def feed(self, text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                self.append(line)


def table(headers: list[str], rows: list[list[str]]) -> None:
    """A plain text table, columns as wide as their widest cell."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip(), flush=True)
        if index == 0:
            print("  ".join("-" * w for w in widths), flush=True)
