"""The gnome container's IPC namespace is private (the engine's default), not shareable."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "gnome":
        kwargs["ipc_mode"] = "private"
