"""The engine's masking of system paths is left on (no systempaths=unconfined) for one app."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "shell" and "security_opt" in kwargs:
        kwargs["security_opt"] = [o for o in kwargs["security_opt"] if "systempaths" not in o]
