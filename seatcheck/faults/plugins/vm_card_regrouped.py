"""The gnome container's copy of the sound card's control node belongs to another group than
the host's (as a gnome image whose audio GID differs from the real card's node would have it)."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(container, "chgrp 4243 /dev/snd/controlC0")
