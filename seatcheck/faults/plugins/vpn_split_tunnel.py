"""chrome's VPN client splits the tunnel as some corporate clients do: a policy rule sends a
public range (TEST-NET-2 here) to a table of its own that leaves by eth0, while the main table
still looks like a kill switch. The range is on-link, so a packet sent there meets the seat
network's bridge and nobody else."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vpn-client":  # in chrome's network namespace
        seat_exec(
            container,
            "ip rule add to 198.51.100.0/24 lookup 200 priority 100 && "
            "ip route add 198.51.100.0/24 dev eth0 table 200",
        )
