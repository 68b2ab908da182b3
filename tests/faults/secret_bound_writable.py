"""The secrets are bound into the shell app read-write instead of read-only."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "shell":
        for bind in kwargs.get("volumes", {}).values():
            if bind.get("bind", "").endswith("/.secrets"):
                bind["mode"] = "rw"
