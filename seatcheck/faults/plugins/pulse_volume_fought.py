"""A client on the seat fights the desktop's mixer: it puts every stream back to 100 % ten
times a second (as a misbehaving volume applet does), so volume 0 from gnome does not hold."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(
            container,
            "timeout 600 sh -c 'while :; do for i in $(pactl list short sink-inputs | cut -f1); "
            "do pactl set-sink-input-volume $i 100%; done; sleep 0.1; done' >/dev/null 2>&1 &",
            user=seat.config.seat_user,
        )
