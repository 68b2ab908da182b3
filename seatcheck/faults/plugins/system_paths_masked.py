"""Inside the shell app, /sys/firmware is masked again, as the engine masks it: a read-only
tmpfs mounted over it (what a seat without systempaths=unconfined has)."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        seat_exec(container, "mount -t tmpfs -o ro,size=0 tmpfs /sys/firmware")
