"""A second sink exists beside the default one (the app's image points its streams there)."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(
            container,
            "pactl load-module module-null-sink sink_name=seatcheck_default && "
            "pactl load-module module-null-sink sink_name=seatcheck_fault_sink && "
            "pactl set-default-sink seatcheck_default",
            user=seat.config.seat_user,
        )
