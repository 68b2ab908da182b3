"""The shell app's entrypoint deletes the seat's GPU node from its /dev (a "clean-up" of
nodes it thinks unused, as slimmed images do): the other containers keep theirs."""

from typing import Any

from ._helpers import fault_node, seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        seat_exec(container, f"rm {fault_node()}")
