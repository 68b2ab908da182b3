"""The gnome container dies (SIGKILL) just before teardown: its X server cannot clean up."""

from typing import Any

import pytest

from seatcheck import plugin

_done: list[bool] = []


def pytest_runtest_setup(item: Any) -> None:
    if item.name.startswith("test_teardown_") and not _done:
        _done.append(True)
        seat = plugin.seat_for(item.config)
        seat.gnome().kill()


pytest_runtest_setup = pytest.hookimpl(tryfirst=True)(pytest_runtest_setup)
