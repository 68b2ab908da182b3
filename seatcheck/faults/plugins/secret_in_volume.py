"""The shell app's set-up keeps a copy of the bound-in config in /tmp (a "cache" a login script
makes): /tmp is the shared common_tmp volume, which no image scan sees."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        user = seat.config.seat_user
        where = seat.secrets.get().mount_point(user)
        seat_exec(container, f"cp {where}/api.conf /tmp/.seatcheck-api.conf", user=user)
