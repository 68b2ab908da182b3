"""Another stream (full-scale noise from the gnome container) keeps the sink loud."""

from typing import Any

from faults._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(
            container,
            "timeout 600 pacat --property=media.name=seatcheck-fault-noise /dev/urandom "
            ">/dev/null 2>&1 &",
            user=seat.config.seat_user,
        )
