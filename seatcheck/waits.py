"""Polling with a deadline: every wait in seatcheck goes through here."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    pass


TIME_SCALE_ENV = "SEATCHECK_TIME_SCALE"


def time_scale() -> float:
    """How much slower than this project's reference machine the seat runs (at least 1):
    every deadline is multiplied by it. ``seatcheck vm`` sets it under software emulation,
    where the same seat takes several times as long (as Mesa's CI scales its timeouts)."""
    try:
        return max(1.0, float(os.environ.get(TIME_SCALE_ENV, "1")))
    except ValueError:
        return 1.0


def retry(
    action: Callable[[], T],
    on: tuple[type[Exception], ...],
    timeout: float,
    what: str,
    interval: float = 0.5,
    abort: Callable[[], str | None] | None = None,
    scaled: bool = True,
) -> T:
    """``action``'s answer, asked again while it raises one of ``on`` (the transient errors
    named by the caller: a server not up yet, a refused socket) until ``timeout`` seconds
    (scaled by ``time_scale`` unless ``scaled`` is false); any other error ends it at once.
    ``abort`` ends it early with its message. On the deadline, the last transient error is
    raised again, as the caller named it."""
    deadline = time.monotonic() + timeout * (time_scale() if scaled else 1.0)
    while True:
        try:
            return action()
        except on:
            reason = abort() if abort is not None else None
            if reason:
                raise WaitTimeout(f"gave up waiting for {what}: {reason}") from None
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def wait_for(
    probe: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.5,
    abort: Callable[[], str | None] | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy, or fail after ``timeout`` seconds.

    ``abort`` is checked each round and ends the wait early with its message (for example
    when the container being waited on has exited: no point waiting out the budget).
    Exceptions from the probe count as "not yet"; the last one is reported on timeout.
    (A call that fails only in known transient ways is ``retry``'s: it names them.)
    """
    timeout *= time_scale()
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
            if result:
                return result
        except Exception as exc:  # a probe that cannot answer yet is "not ready"
            last_error = exc
        if abort is not None:
            reason = abort()
            if reason:
                raise WaitTimeout(f"gave up waiting for {what}: {reason}")
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)
