"""The shell app's set-up copies the bound-in secrets into the container's own filesystem
(where a snapshot or a commit would carry them)."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        where = seat.secrets.get().mount_point(seat.config.seat_user)
        seat_exec(container, f"cp -a {where} {where}-copy")
