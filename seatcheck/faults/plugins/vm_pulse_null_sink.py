"""gnome's pulse server is left on a null sink: the sound card is there, but the seat's
default sink (where every app's stream goes) plays into nothing."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(
            container,
            "pactl load-module module-null-sink sink_name=seatcheck_fault_null >/dev/null && "
            "pactl set-default-sink seatcheck_fault_null",
            user=seat.config.seat_user,
        )
