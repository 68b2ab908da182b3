"""The shell app gets a private IPC namespace instead of joining gnome's."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "shell":
        kwargs["ipc_mode"] = "private"
