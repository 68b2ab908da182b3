"""chrome's resolver is put back to the engine's (127.0.0.11) once the tunnel is up, as an
image whose resolv.conf the VPN client cannot change would keep it: chrome's DNS leaves by
the seat network, not the VPN."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vpn-client":
        chrome = seat.app("chrome")
        seat_exec(chrome, "printf 'nameserver 127.0.0.11\\noptions ndots:0\\n' > /etc/resolv.conf")
