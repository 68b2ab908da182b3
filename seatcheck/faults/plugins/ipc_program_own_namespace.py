"""The shell app's terminal runs in an IPC namespace of its own (a launcher that unshares
it, as some sandboxing wrappers do): the container is in X's namespace, its program is not."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        user = seat.config.seat_user
        seat_exec(
            container,
            f"DISPLAY=:0 setsid unshare --ipc setpriv --reuid={user} --regid={user} --init-groups "
            "timeout 900 xterm -T seatcheck-fault-ipc -e sleep 900 >/dev/null 2>&1 < /dev/null &",
        )
