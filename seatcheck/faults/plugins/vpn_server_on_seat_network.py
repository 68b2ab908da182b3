"""The VPN's test server is joined to the seat network too (a server "behind the VPN" that
is not): every app reaches it without a tunnel."""

from typing import Any


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vpn-server":
        seat.network.get().connect(container)
