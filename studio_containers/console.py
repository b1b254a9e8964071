"""What the tool tells the user while it works: short progress lines and failing tools' tails."""
import contextlib
import sys
import threading
from collections import deque
from typing import Iterable, TextIO

TAIL_LINES = 25
_thread = threading.local()


@contextlib.contextmanager
def to_terminal(stream: TextIO):
    """This thread's messages go to `stream` (the terminal as it was when the caller started),
    whatever sys.stdout/sys.stderr are meanwhile: runner.py points them at Terraform's pipe."""
    _thread.stream = stream
    try:
        yield
    finally:
        _thread.stream = None


def _out() -> TextIO:
    return getattr(_thread, "stream", None) or sys.stdout


def _err() -> TextIO:
    return getattr(_thread, "stream", None) or sys.stderr


def say(message: str) -> None:
    print(f"==> {message}", file=_out(), flush=True)


def detail(message: str) -> None:
    print(f"    {message}", file=_out(), flush=True)


def warn(message: str) -> None:
    print(f"warning: {message}", file=_err(), flush=True)


def show_tail(title: str, lines: Iterable[str]) -> None:
    """Print the last lines of a failing tool's output, framed so they stand apart."""
    lines = [line.rstrip("\n") for line in lines]
    if not lines:
        return
    err = _err()
    print(f"---- last lines of {title} ----", file=err)
    for line in lines[-TAIL_LINES:]:
        print(f"  | {line}", file=err)
    print("----", file=err, flush=True)


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
