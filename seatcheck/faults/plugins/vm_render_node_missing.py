"""The vlc app's entrypoint deletes the render node from its /dev (a slimmed image's
"clean-up" of nodes it thinks unused): the card node stays, as do the other containers'
render nodes. Real state in the VM: the node is gone from that container alone."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vlc":
        seat_exec(container, "rm /dev/dri/renderD128")
