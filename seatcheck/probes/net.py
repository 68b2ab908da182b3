"""A container's network namespace, read from /proc/<pid>/net on the host (no tools needed in
the image, and a container cannot hide its tables): listening sockets, routes; and the
resolver a resolv.conf names, the requests an HTTP server logged."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProbeError

TCP_LISTEN = "0A"


def parse_listening_ports(proc_net_tcp: str) -> set[int]:
    """TCP ports in LISTEN state from the text of /proc/net/tcp or /proc/net/tcp6."""
    ports = set()
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == TCP_LISTEN:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def listening_tcp_ports(pid: int) -> set[int]:
    """TCP ports listening in the network namespace of host process ``pid``."""
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        try:
            text = path.read_text()
        except OSError as exc:
            raise ProbeError(f"cannot read {path}: {exc.strerror}") from None
        if not text.startswith("  sl"):
            raise ProbeError(f"{path} is not a TCP table: {text[:80]!r}")
        ports |= parse_listening_ports(text)
    return ports


@dataclass(frozen=True)
class Route:
    """One IPv4 route of a network namespace's main table (as /proc/net/route lists it)."""

    iface: str
    destination: str  # CIDR, e.g. 0.0.0.0/0 for the default route
    gateway: str  # 0.0.0.0: on-link
    metric: int

    @property
    def is_default(self) -> bool:
        return self.destination == "0.0.0.0/0"

    def __str__(self) -> str:
        via = f" via {self.gateway}" if self.gateway != "0.0.0.0" else ""
        metric = f" metric {self.metric}" if self.metric else ""
        return f"{'default' if self.is_default else self.destination}{via} dev {self.iface}{metric}"


def _hex_ip(text: str) -> str:
    # /proc/net/route writes addresses as the kernel holds them: little-endian hex.
    return str(ipaddress.IPv4Address(int(text, 16).to_bytes(4, "little")))


def parse_routes(proc_net_route: str) -> list[Route]:
    """The routes in the text of /proc/net/route (the header line first)."""
    lines = proc_net_route.splitlines()
    if not lines or not lines[0].startswith("Iface"):
        raise ProbeError(f"not a route table: {proc_net_route[:80]!r}")
    routes = []
    for line in lines[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        iface, dest, gateway, metric, mask = fields[0], fields[1], fields[2], fields[6], fields[7]
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{_hex_ip(mask)}").prefixlen
        routes.append(Route(iface, f"{_hex_ip(dest)}/{prefix}", _hex_ip(gateway), int(metric)))
    return routes


def routes(pid: int) -> list[Route]:
    """The IPv4 routes of the network namespace of host process ``pid``."""
    path = Path(f"/proc/{pid}/net/route")
    try:
        return parse_routes(path.read_text())
    except OSError as exc:
        raise ProbeError(f"cannot read {path}: {exc.strerror}") from None


def host_tun_devices() -> list[str]:
    """The host's TUN/TAP interfaces (those whose sysfs entry has tun_flags)."""
    found = []
    for entry in Path("/sys/class/net").iterdir():
        if (entry / "tun_flags").exists():
            found.append(entry.name)
    return sorted(found)


def resolvers(resolv_conf: str) -> list[str]:
    """The nameservers a resolv.conf names, in order."""
    return [
        line.split()[1]
        for line in resolv_conf.splitlines()
        if line.strip().startswith("nameserver") and len(line.split()) > 1
    ]


def http_requests(log: str) -> list[tuple[str, str]]:
    """(source address, path) of each request in python3 http.server's log."""
    found = re.findall(r"^(\d+\.\d+\.\d+\.\d+) - - \[[^\]]*\] \"GET (\S+)", log, re.M)
    return [(str(a), str(b)) for a, b in found]
