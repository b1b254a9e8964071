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
