"""chrome's VPN client gets no TUN device (as an engine or host that cannot pass
/dev/net/tun): the tunnel cannot be made."""

from typing import Any


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "vpn-client":
        kwargs["devices"] = [d for d in kwargs.get("devices") or [] if "/dev/net/tun" not in d]
