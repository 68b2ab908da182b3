"""A container's network namespace, read from /proc/<pid>/net on the host (no tools needed in
the image, and a container cannot hide its tables): listening sockets, routes; and the
resolver a resolv.conf names, the requests an HTTP server logged."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from docker.models.containers import Container

from ..engine import execs
from ..errors import ProbeError
from .x11 import SETUP_REQUEST

TCP_LISTEN = "0A"


def parse_listening_ports(proc_net_tcp: str) -> set[int]:
    """TCP ports in LISTEN state from the text of /proc/net/tcp or /proc/net/tcp6."""
    return {port for _, port in parse_listening_sockets(proc_net_tcp)}


def _hex_address(text: str) -> str:
    """An address of /proc/net/tcp{,6}: little-endian hex words, as the kernel holds them."""
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def parse_listening_sockets(proc_net_tcp: str) -> set[tuple[str, int]]:
    """(address, port) of each TCP socket in LISTEN state in /proc/net/tcp or tcp6."""
    found = set()
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == TCP_LISTEN:
            address, port = fields[1].rsplit(":", 1)
            found.add((_hex_address(address), int(port, 16)))
    return found


def listening_tcp_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP listener in the network namespace of host process
    ``pid``, IPv4 and IPv6."""
    found: set[tuple[str, int]] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        try:
            text = path.read_text()
        except OSError as exc:
            raise ProbeError(f"cannot read {path}: {exc.strerror}") from None
        if not text.startswith("  sl"):
            raise ProbeError(f"{path} is not a TCP table: {text[:80]!r}")
        found |= parse_listening_sockets(text)
    return found


_SETUP_CLIENT = """
import socket, sys
address, port, setup = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
deadline = float(sys.argv[4])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
with socket.socket(family, socket.SOCK_STREAM) as s:
    s.settimeout(deadline)
    try:
        s.connect((address, port)); s.sendall(setup); sys.stdout.write(s.recv(8).hex())
    except OSError as exc:
        sys.stderr.write(str(exc))
"""
# A pulse client (libpulse, through pulsectl) with no cookie of the seat's: a server that lets
# it in names itself.
_PULSE_CLIENT = """
import sys, pulsectl
address, port, deadline = sys.argv[1], sys.argv[2], float(sys.argv[4])
server = f"tcp6:[{address}]:{port}" if ":" in address else f"tcp:{address}:{port}"
try:
    with pulsectl.Pulse("seatcheck-tcp-probe", server=server, connect=False) as pa:
        pa.connect(autospawn=False, wait=False, timeout=deadline)
        sys.stdout.write(pa.server_info().server_name)
except Exception as exc:
    sys.stderr.write(repr(exc))
"""


def x11_setup_reply(answer: bytes) -> str:
    """What a connection-setup answer says: 'X11 ...' when an X server sent it, else ''."""
    if len(answer) < 4:
        return ""
    status, major = answer[0], int.from_bytes(answer[2:4], "little")
    if status in (0, 1) and major == 11:
        return f"X11 {'accepted' if status == 1 else 'refused'} the connection setup"
    if status == 2:
        return "X11 asked to authenticate"
    return ""


def _client_in_netns(pid: int, script: str, address: str, port: int, deadline: float) -> str:
    """``script`` (this Python, with this environment's packages) run as a client in the
    network namespace of host process ``pid``, against ``address:port`` there (a listener on
    its loopback counts too); what it printed on stdout, '' if it was killed at the deadline."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
    try:
        done = subprocess.run(
            # The client keeps its own deadline; this one only ends a client that hangs
            # (its start alone takes seconds under emulation).
            ["timeout", "-s", "KILL", f"{deadline + 20:g}", "nsenter", f"--net=/proc/{pid}/ns/net",
             sys.executable, "-c", script, target, str(port), SETUP_REQUEST.hex(), str(deadline)],
            capture_output=True, text=True, timeout=deadline + 30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeError(f"cannot speak to {target}:{port} in {pid}'s namespace: {exc}") from None
    if done.returncode == 124 or done.returncode >= 128:
        # Killed at the deadline (124, 137): no answer. Or the client died of what it was sent
        # back (libpulse aborts on an X server's bytes): no answer of its protocol either.
        return ""
    if done.returncode != 0:
        raise ProbeError(
            f"nsenter into pid {pid}'s network namespace (exit {done.returncode}): "
            f"{done.stderr[-300:]}"
        )
    return done.stdout.strip()


def answers_x11(pid: int, address: str, port: int, deadline: float = 3.0) -> str:
    """Whether the TCP listener ``address:port`` of ``pid``'s network namespace answers an
    X11 connection setup (X11 protocol, section 8: little-endian, version 11.0, no
    authorisation); what it answered, or ''."""
    answer = _client_in_netns(pid, _SETUP_CLIENT, address, port, deadline)
    return x11_setup_reply(bytes.fromhex(answer or ""))


def answers_pulse(pid: int, address: str, port: int, deadline: float = 3.0) -> str:
    """Whether the TCP listener lets a pulse client in (without the seat's cookie): the
    server's name, or ''."""
    name = _client_in_netns(pid, _PULSE_CLIENT, address, port, deadline)
    return f"pulse server {name!r} let a client in" if name else ""


@dataclass(frozen=True)
class Listener:
    """A TCP listener of a network namespace and what it answered a client of each kind."""

    address: str
    port: int
    x11: str
    pulse: str

    def __str__(self) -> str:
        return f"{self.address}:{self.port}"


def what_listens(pid: int, deadline: float) -> list[Listener]:
    """Every TCP listener of ``pid``'s network namespace, each asked for an X11 connection
    setup and a pulse connection at once (a listener that says nothing costs the deadline)."""
    from concurrent.futures import ThreadPoolExecutor

    sockets = sorted(listening_tcp_sockets(pid))
    with ThreadPoolExecutor(max_workers=max(1, 2 * len(sockets))) as pool:
        x11 = [pool.submit(answers_x11, pid, a, p, deadline) for a, p in sockets]
        pulse = [pool.submit(answers_pulse, pid, a, p, deadline) for a, p in sockets]
        return [
            Listener(a, p, x.result(), u.result())
            for (a, p), x, u in zip(sockets, x11, pulse, strict=True)
        ]


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


# Destinations a packet from an app may be sent to, for `ip route get` (it asks the kernel's
# routing decision and sends nothing): private ranges, documentation (TEST-NET) and public
# addresses, IPv4.
ROUTE_GET_DESTINATIONS = (
    "10.0.0.1", "172.16.0.1", "192.168.0.1",
    "192.0.2.1", "198.51.100.1", "203.0.113.1",
    "1.1.1.1", "8.8.8.8", "93.184.216.34",
)  # fmt: skip


@dataclass(frozen=True)
class TableRoute:
    """A route of any table of a network namespace, as `ip -j route show table all` gives it."""

    table: str
    kind: str  # unicast, local, broadcast, ...: only unicast routes carry packets out
    destination: str
    dev: str
    gateway: str = ""

    def __str__(self) -> str:
        via = f" via {self.gateway}" if self.gateway else ""
        kind = "" if self.kind == "unicast" else f"{self.kind} "
        return f"{kind}{self.destination}{via} dev {self.dev} table {self.table}"


def parse_ip_json(text: str, what: str) -> list[dict[str, object]]:
    """The list iproute2's ``-j`` prints; ProbeError on anything else."""
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ProbeError(f"{what}: not iproute2's JSON ({exc}): {text[:120]!r}") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ProbeError(f"{what}: expected a JSON list of objects; found {text[:120]!r}")
    return data


def parse_table_routes(text: str) -> list[TableRoute]:
    """Every route of every table from `ip -j route show table all` (IPv4 or IPv6)."""
    found = []
    for entry in parse_ip_json(text, "ip route show table all"):
        dst = str(entry.get("dst", ""))
        if not dst:
            raise ProbeError(f"a route without a destination: {entry}")
        found.append(
            TableRoute(
                table=str(entry.get("table", "main")), kind=str(entry.get("type", "unicast")),
                destination="0.0.0.0/0" if dst == "default" else dst,
                dev=str(entry.get("dev", "")), gateway=str(entry.get("gateway", "")),
            )
        )  # fmt: skip
    return found


def parse_route_get(text: str) -> str:
    """The interface `ip -j route get` chose (or the kind of route: unreachable, prohibit)."""
    entries = parse_ip_json(text, "ip route get")
    if len(entries) != 1:
        raise ProbeError(f"ip route get: expected one answer; found {entries}")
    entry = entries[0]
    kind = str(entry.get("type", "unicast"))
    return str(entry.get("dev", "")) if kind == "unicast" else kind


def filter_turned_away(container: Container) -> int:
    """Packets a container's own filter (nft chain ``inet seatcheck in``) turned away: for
    the VPN's test server, ones the engine let through to it from another network."""
    out = execs.run(container, ["nft", "list", "chain", "inet", "seatcheck", "in"], timeout=15)
    found = re.search(r"counter packets (\d+)", out.stdout)
    if not out.ok or not found:
        raise ProbeError(f"cannot read {container.name}'s filter: {out.describe()}")
    return int(found.group(1))
