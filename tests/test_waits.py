"""The one retry helper: only the errors its caller names are "not yet"."""

from __future__ import annotations

import time

import pytest

from seatcheck.waits import WaitTimeout, retry


def test_retry_answers_once_the_transient_errors_stop() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not up yet")
        return "up"

    assert retry(flaky, (ConnectionRefusedError,), 5, "a server", interval=0.01) == "up"
    assert len(calls) == 3


def test_retry_ends_at_once_on_an_error_it_was_not_told_of() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise KeyError("a bug, not a slow server")

    started = time.monotonic()
    with pytest.raises(KeyError):
        retry(broken, (ConnectionRefusedError,), 5, "a server", interval=0.01)
    assert len(calls) == 1 and time.monotonic() - started < 1


def test_retry_raises_the_last_transient_error_at_its_deadline_or_abort() -> None:
    def refused() -> None:
        raise ConnectionRefusedError("still refused")

    with pytest.raises(ConnectionRefusedError, match="still refused"):
        retry(refused, (ConnectionRefusedError,), 0.05, "a server", interval=0.01, scaled=False)
    with pytest.raises(WaitTimeout, match="gave up waiting for a server: it exited"):
        retry(refused, (ConnectionRefusedError,), 5, "a server", abort=lambda: "it exited")
