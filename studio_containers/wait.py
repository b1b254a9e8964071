"""Waiting with a deadline: one helper for every "until it answers" loop in the project."""
import time
from typing import Callable, TypeVar

from .errors import UserError

T = TypeVar("T")


class NotYet:
    """What a probe returns when it is not done: falsy, and says what it saw this time."""

    def __init__(self, seen: str):
        self.seen = seen

    def __bool__(self) -> bool:
        return False


class WaitTimeout(UserError):
    """The deadline passed; the message names what was awaited, the deadline and what was seen."""

    def __init__(self, what: str, timeout: float, seen: str, hint: str):
        self.what, self.timeout, self.seen = what, timeout, seen
        super().__init__(f"timed out after {timeout:g}s waiting for {what} (last seen: {seen})"
                         + (f"; {hint}" if hint else ""))


def wait_until(probe: Callable[[], T], *, timeout: float, what: str,
               interval: float | Callable[[], float] = 0.2, hint: str = "",
               retry_on: tuple[type[BaseException], ...] = ()) -> T:
    """Calls `probe` until it returns something truthy, and returns that.

    A falsy answer (a `NotYet` with what it saw, None, False) or one of the `retry_on`
    exceptions means "not yet"; any other exception ends the wait (a process that died, say).
    `interval` is the pause between probes in seconds, or a function giving each pause (a
    random one, so that waiters on several machines do not keep meeting).
    """
    deadline = time.monotonic() + timeout
    seen = "no answer yet"
    while True:
        try:
            result = probe()
        except retry_on as exc:
            seen = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        else:
            if result:
                return result
            if isinstance(result, NotYet):
                seen = result.seen
        if time.monotonic() >= deadline:
            raise WaitTimeout(what, timeout, seen, hint)
        time.sleep(interval() if callable(interval) else interval)


def became(probe: Callable[[], object], *, timeout: float, interval: float = 0.2) -> bool:
    """Whether `probe` answers something truthy within `timeout`: `wait_until` for a caller that
    says itself what a timeout means (any exception of the probe still ends the wait)."""
    try:
        wait_until(probe, timeout=timeout, what="a probe", interval=interval)
    except WaitTimeout:
        return False
    return True
