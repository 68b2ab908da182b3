"""Inside the shell app, the bound-in secrets are remounted read-write (the bind is no longer
read-only: anything in the app may change them)."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        where = seat.secrets.get().mount_point(seat.config.seat_user)
        seat_exec(container, f"mount -o remount,bind,rw {where}")
