"""Xorg in the gnome container dies by SIGKILL once the seat is up, as a crashing X server
does: its VT stays in graphics mode with the keyboard off, and nothing gives the console back."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(container, "pkill -KILL -x Xorg")
