"""GNOME Shell (window manager and compositor) hangs once the seat is up: SIGSTOP."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(container, "pkill -STOP -x gnome-shell")
