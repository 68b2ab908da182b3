"""Listening sockets inside a container, read from /proc/net (no tools needed in the image)."""

from __future__ import annotations

from docker.models.containers import Container

from .. import execs

TCP_LISTEN = "0A"


def parse_listening_ports(proc_net_tcp: str) -> set[int]:
    """TCP ports in LISTEN state from the text of /proc/net/tcp or /proc/net/tcp6."""
    ports = set()
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == TCP_LISTEN:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def listening_tcp_ports(container: Container) -> set[int]:
    result = execs.shell(container, "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null", timeout=10)
    return parse_listening_ports(result.stdout)
