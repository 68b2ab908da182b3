"""The shell app's session exports the API token into a long-running program's environment
(as a wrapper that reads the config into API_TOKEN does): nothing is written anywhere, and
the container's own configured environment stays clean."""

from typing import Any

from faults._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        user = seat.config.seat_user
        where = seat.secrets().mount_point(user)
        seat_exec(
            container,
            f"API_TOKEN=$(sed -n 's/^api_token = //p' {where}/api.conf) setsid sleep 900 "
            ">/dev/null 2>&1 </dev/null &",
            user=user,
        )
