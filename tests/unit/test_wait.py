"""The one wait helper: returns the first truthy answer, says what it last saw on timeout."""
import pytest

from studio_containers import wait
from studio_containers.errors import UserError
from studio_containers.wait import NotYet, WaitTimeout, became, wait_until


def test_returns_the_first_truthy_answer_after_retrying():
    answers = iter([None, NotYet("HTTP 503"), ConnectionError("refused"), "ready"])

    def probe():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert wait_until(probe, timeout=5, interval=0, what="x", retry_on=(ConnectionError,)) == "ready"


def test_a_timeout_names_what_the_deadline_the_last_thing_seen_and_the_hint():
    with pytest.raises(WaitTimeout) as info:
        wait_until(lambda: NotYet("HTTP 503"), timeout=0.05, interval=0.01,
                   what="the gateway to answer at http://127.0.0.1:1", hint="setting local.ready_timeout")
    assert str(info.value) == ("timed out after 0.05s waiting for the gateway to answer at "
                               "http://127.0.0.1:1 (last seen: HTTP 503); setting local.ready_timeout")
    assert isinstance(info.value, UserError)   # reaches the user as one line


def test_an_exception_seen_while_retrying_is_reported():
    def refused():
        raise ConnectionError("connection refused\nmore detail")
    with pytest.raises(WaitTimeout, match=r"last seen: ConnectionError: connection refused\)"):
        wait_until(refused, timeout=0.05, interval=0.01, what="x", retry_on=(ConnectionError,))


def test_any_other_exception_ends_the_wait_at_once():
    calls = []

    def dies():
        calls.append(1)
        raise UserError("the process exited")
    with pytest.raises(UserError, match="the process exited"):
        wait_until(dies, timeout=60, interval=0, what="x", retry_on=(ConnectionError,))
    assert calls == [1]


def test_an_interval_may_be_a_function_called_for_each_pause(monkeypatch):
    pauses, answers = [], iter([False, False, True])
    monkeypatch.setattr(wait.time, "sleep", pauses.append)
    delays = iter([0.7, 1.3])
    assert wait_until(lambda: next(answers), timeout=60, what="x", interval=lambda: next(delays))
    assert pauses == [0.7, 1.3]


def test_became_says_whether_the_probe_answered_in_time():
    answers = iter([None, NotYet("busy"), "done"])
    assert became(lambda: next(answers), timeout=5, interval=0) is True
    calls = []
    assert became(lambda: calls.append(1), timeout=0.05, interval=0.01) is False
    assert len(calls) >= 2      # tried again until the deadline


def test_became_lets_any_exception_of_the_probe_through():
    def dies():
        raise ConnectionError("gone")
    with pytest.raises(ConnectionError):
        became(dies, timeout=5, interval=0)
