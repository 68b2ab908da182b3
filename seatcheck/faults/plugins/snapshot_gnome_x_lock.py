"""gnome's X lock is also written in the container's own layer (/var/tmp, as under a session
whose TMPDIR is /var/tmp), not only in the shared /tmp volume: a commit of the running gnome
container carries it, and a seat on that snapshot would meet a stale lock."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(container, "cp -p /tmp/.X0-lock /var/tmp/.X0-lock")
