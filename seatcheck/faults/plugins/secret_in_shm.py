"""The shell app keeps the bound-in config in shared memory (the "keep it off disk" habit):
/dev/shm is gnome's, shared through its IPC namespace with every app."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        user = seat.config.seat_user
        where = seat.secrets.get().mount_point(user)
        seat_exec(
            container, f"install -m600 {where}/api.conf /dev/shm/seatcheck-api.conf", user=user
        )
