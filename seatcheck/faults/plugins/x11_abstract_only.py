"""Only the abstract X socket works: the socket file is gone from the shared /tmp, and the
apps share gnome's network namespace, so they still reach X through the abstract socket."""

from typing import Any

APPS = ("chrome", "vlc", "shell")


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role in APPS:
        kwargs.pop("network", None)
        kwargs["network_mode"] = f"container:{seat.gnome().id}"


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        (seat.tmp.path / ".X11-unix" / "X0").unlink()
