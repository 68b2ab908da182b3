"""The shell app's /tmp/.X11-unix is a directory of its own (a tmpfs mounted over the shared
one, as an entrypoint that "cleans /tmp" does), holding a socket file of the same name that no
X server listens on."""

from typing import Any

from ._helpers import seat_exec

SCRIPT = (
    "mount -t tmpfs -o mode=1777 tmpfs /tmp/.X11-unix && python3 -c "
    "\"import socket; socket.socket(socket.AF_UNIX).bind('/tmp/.X11-unix/X0')\" "
    "&& chmod 777 /tmp/.X11-unix/X0"
)


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        seat_exec(container, SCRIPT)
