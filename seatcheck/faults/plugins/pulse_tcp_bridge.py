"""A "let the other box play sound" bridge in the shell app: TCP port 34713 to the seat's
pulse socket. The server sees the bridge's own credentials (the seat user's), so a client
without the cookie gets in."""

from typing import Any

from ._helpers import bridge_to_tcp


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        runtime = seat.facts.pulse["runtime_dir"]
        bridge_to_tcp(seat, container, 34713, f"{runtime}/native")
