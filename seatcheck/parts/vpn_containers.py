"""The VPN's containers, one way each: a test page server (python3's http.server), a
container that makes a WireGuard interface (NET_ADMIN and the TUN device only), wireguard-go
in it, and a set-up step whose failure names the part and what it could not do."""

from __future__ import annotations

from typing import Any

from docker.models.containers import Container

from ..context import SeatContext
from ..engine import execs
from ..errors import SetupError
from .base import FileEntry, start, tar

HTTP_PORT = 8080
TUN = "/dev/net/tun"
# wireguard-go asks people on Linux to prefer the kernel module; this kernel has none.
WG_ENV = {"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"}


def must(container: Container, script: str, what: str, role: str, **kwargs: Any) -> str:
    """A set-up step in a VPN part: its failure names the part and what it could not do."""
    try:
        result = execs.shell(container, script, timeout=30, **kwargs)
    except execs.ExecTimeout as exc:
        raise SetupError(role, f"{what}: {exc}") from None
    if not result.ok:
        raise SetupError(role, f"{what}: {result.describe()}")
    return result.stdout


def http_server(
    seat: SeatContext, role: str, network: str, image: str, body: str, **kwargs: Any
) -> Container:
    """python3's http.server on HTTP_PORT: it logs each request's source address."""
    container = seat.create(
        role, remember=False, image=image, network=network, init=True,
        command=["python3", "-u", "-m", "http.server", str(HTTP_PORT), "--directory", "/srv"],
        **kwargs,
    )  # fmt: skip
    page = f"<html><body><p id=token>{body}</p></body></html>".encode()
    container.put_archive("/", tar([FileEntry("srv/index.html", page)]))
    return start(role, container)


def tunnel_container(seat: SeatContext, role: str, image: str, **kwargs: Any) -> Container:
    """A container that makes a WireGuard interface: NET_ADMIN and the TUN device only."""
    container = seat.create(
        role, remember=False, image=image, init=True, command=["sleep", "infinity"],
        cap_add=["NET_ADMIN"], devices=[f"{TUN}:{TUN}:rwm"], environment=WG_ENV, **kwargs,
    )  # fmt: skip
    return start(role, container)


def wireguard(container: Container, role: str, key_dir: str = "/run/seatcheck-wg") -> str:
    """wireguard-go's interface wg0 in the container's namespace; its public key."""
    must(
        container, f"[ -c {TUN} ] || {{ echo 'no TUN device ({TUN}) in the container'; exit 1; }}",
        f"make a TUN device: {TUN} is missing", role,
    )  # fmt: skip
    must(container, "wireguard-go wg0", "start wireguard-go (it makes wg0 on a TUN device)", role)
    return must(
        container,
        f"umask 077; mkdir -p {key_dir}; wg genkey > {key_dir}/key; wg pubkey < {key_dir}/key",
        "make the WireGuard key", role,
    ).strip()  # fmt: skip
