"""The shell app's session exports the API token into a long-running program's environment
(as a wrapper that reads the config into API_TOKEN does): nothing is written anywhere, and
the container's own configured environment stays clean."""

from typing import Any

from ._helpers import in_shell_as_seat_user


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        script = 'API_TOKEN="$TOKEN" setsid sleep 900 >/dev/null 2>&1 </dev/null &'
        in_shell_as_seat_user(seat, container, script)
