"""The shell app runs confined at an MCS level of its own (``--security-opt
label=level:s0:c5,c6`` in a user's run line, instead of the recipe's privileged way): its
process is not at gnome's level, so the files gnome makes in the shared /tmp are not all
its own to use."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "shell":
        kwargs.pop("privileged", None)
        kwargs["security_opt"] = ["label=level:s0:c5,c6"]
