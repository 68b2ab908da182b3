"""The vlc app's entrypoint hands its copy of the seat's device node to a group of its own
(chgrp inside the container: the engine made that node, the host's stays as it was)."""

from typing import Any

from ._helpers import fault_node, seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vlc":
        seat_exec(container, f"chgrp 4243 {fault_node()}")
