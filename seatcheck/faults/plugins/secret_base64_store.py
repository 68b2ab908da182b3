"""The shell app logs in to a registry with the API token, and the credential store writes
``user:token`` in base64, as docker's config.json does: the raw bytes are nowhere."""

from typing import Any

from ._helpers import in_shell_as_seat_user


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        home = f"/home/{seat.config.seat_user}"
        script = (
            f"mkdir -p {home}/.config && printf 'seat:%s' \"$TOKEN\" | base64 -w0 "
            f"> {home}/.config/seatcheck-auth"
        )
        in_shell_as_seat_user(seat, container, script)
