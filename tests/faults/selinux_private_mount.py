"""The vlc app mounts the shared /tmp with :Z (private label) instead of :z."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "vlc":
        kwargs["volumes"] = {
            name: {**spec, "mode": "rw,Z"} for name, spec in kwargs["volumes"].items()
        }
