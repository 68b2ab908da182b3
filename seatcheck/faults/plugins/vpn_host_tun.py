"""chrome's VPN leaves a TUN device on the host (as a VPN client started in the host's network
namespace would, instead of chrome's). Removed again when the run ends; run serially only
(tests/test_vpn_host.py): the host is shared with any other seat."""

import subprocess
from typing import Any

DEVICE = "seatcheck-fault"


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vpn-client":
        subprocess.run(["ip", "tuntap", "add", "dev", DEVICE, "mode", "tun"], check=True,
                       timeout=10)  # fmt: skip


def pytest_unconfigure(config: Any) -> None:
    subprocess.run(["ip", "tuntap", "del", "dev", DEVICE, "mode", "tun"], capture_output=True,
                   timeout=10)  # fmt: skip
