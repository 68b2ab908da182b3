"""The shell app logs in to a registry with the API token, and the credential store writes
``user:token`` in base64, as docker's config.json does: the raw bytes are nowhere."""

from typing import Any

from faults._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        user = seat.config.seat_user
        where = seat.secrets().mount_point(user)
        seat_exec(
            container,
            f"mkdir -p /home/{user}/.config && printf 'seat:%s' \"$(sed -n 's/^api_token = //p' "
            f'{where}/api.conf)" | base64 -w0 > /home/{user}/.config/seatcheck-auth',
            user=user,
        )
