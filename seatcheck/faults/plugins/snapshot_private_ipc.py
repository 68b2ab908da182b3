"""The container started from the chrome snapshot gets an IPC namespace of its own instead of
joining the X server's (as the original does)."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "chrome-snapshot":
        kwargs["ipc_mode"] = "private"
