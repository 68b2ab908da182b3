"""/tmp/.X11-unix loses its sticky, world-writable mode (0755) once the seat is up."""

from typing import Any


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        (seat.tmp.path / ".X11-unix").chmod(0o755)
