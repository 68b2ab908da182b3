"""A "helpful" entrypoint in the shell app bridges the display to TCP on a port of its own
(7100, outside X's 6000-6063): any peer that reaches the container reaches the seat's X."""

from typing import Any

from ._helpers import bridge_to_tcp


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        bridge_to_tcp(seat, container, 7100, "/tmp/.X11-unix/X0")
