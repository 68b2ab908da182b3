"""chrome's VPN client leaves eth0's own route to the seat network in place (a kill switch
with a hole, as a client that only adds the tunnel's default route does): once the tunnel
drops, chrome still reaches everything on the seat network directly."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vpn-client":  # in chrome's network namespace
        seat_exec(container, f"ip route add {seat.network.subnets()[0]} dev eth0")
