"""The shell app's render node belongs to a group the seat user is not in (as an image whose
video GID differs from the node's would have it): the card is there, GL through it is not."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        seat_exec(container, "chgrp 4244 /dev/dri/renderD128")
