"""Listening sockets in a container's network namespace, read from /proc/<pid>/net on the host
(no tools needed in the image, and a container cannot hide its table)."""

from __future__ import annotations

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
