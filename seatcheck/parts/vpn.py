"""The recipe's per-app VPN: chrome gets a tunnel of its own, so that its routing and DNS are
its own and no other app's.

The parts, all containers of the seat (labelled, removed at teardown), from the ``vpn`` image:
- the endpoint (``vpn-endpoint``): a WireGuard peer (wireguard-go, user space: no kernel module
  is needed, a TUN device is) on the seat network, where chrome reaches it as it would reach a
  VPN server on the internet, and on a network of the VPN's own; it NATs the tunnel onto that
  network and runs the VPN's resolver (dnsmasq) on its tunnel address;
- the test server (``vpn-server``): on the VPN's network only, an internal one (no route out),
  and its own packet filter takes its page from the endpoint alone. The engine's isolation
  between networks cannot be relied on: each time any network is made, dockerd deletes and
  re-inserts FORWARD's jump to DOCKER-ISOLATION-STAGE-1 (libnetwork's EnsureJumpRule), and
  in between, the bridges' own ACCEPT rules forward from one network to another (sampled
  here: the jump was missing once for each of 8 networks made). A seat beside this one makes
  networks all the time;
- the canary (``vpn-canary``): on the seat network only; it logs whoever reaches it;
- the client (``vpn-client``): a sidecar in chrome's network namespace (chrome's container is
  unchanged: it gets the TUN device, the routes and the resolver of its own namespace). Its
  routes are a kill switch: the default route is the tunnel, and eth0 keeps only host routes
  to the endpoint and to the named exceptions (the package cache chrome installs through).

Nothing here touches the host's routes, links or packet filter: every change is inside the
containers' own network namespaces (the check compares the host before and during).
"""

from __future__ import annotations

import contextlib
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any

import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from .. import roles
from ..cache import RPMCACHE
from ..context import SeatContext
from ..engine import execs
from .base import start
from .vpn_containers import HTTP_PORT, TUN, WG_ENV, http_server, must, tunnel_container, wireguard

TUNNEL = "10.77.0"  # the tunnel's addresses: the endpoint .1, the client .2
ENDPOINT_ADDR, CLIENT_ADDR = f"{TUNNEL}.1", f"{TUNNEL}.2"
PORT = 51820
NAME = "vpn.seatcheck.test"  # known only to the VPN's resolver
# A public-looking address (TEST-NET-2) the endpoint translates to the test server's: only
# the tunnel leads there. The seat's squid refuses documentation addresses unfetched, so a
# chromium that sends it to the cache is seen in squid's log and nothing leaves the host.
PUBLIC_ADDR = "198.51.100.80"
ENDPOINT, CLIENT, SERVER, CANARY = "vpn-endpoint", "vpn-client", "vpn-server", "vpn-canary"


@dataclass
class Vpn:
    """chrome's tunnel, as brought up: the parts, their addresses, what chrome had before."""

    app: str
    network: Network  # the VPN's own network
    endpoint: Container
    server: Container
    canary: Container
    client: Container
    endpoint_ip: str  # on the seat network
    server_ip: str  # on the VPN's network
    endpoint_vpn_ip: str  # the endpoint on the VPN's network: what the server sees of chrome
    canary_ip: str  # on the seat network
    app_ip: str  # chrome's own address on the seat network
    token: str  # what the test server's page holds (made for this run)
    exceptions: dict[str, str] = field(default_factory=dict)  # address -> why it skips the tunnel
    routes_before: list[str] = field(default_factory=list)  # chrome's, as `ip route` showed them
    resolv_before: str = ""
    dropped: bool = False
    restored: bool = False

    @property
    def url(self) -> str:
        return f"http://{NAME}:{HTTP_PORT}/"

    @property
    def public_url(self) -> str:
        return f"http://{PUBLIC_ADDR}:{HTTP_PORT}/"

    def describe(self) -> dict[str, Any]:
        return {
            "endpoint": f"{self.endpoint_ip}:{PORT}", "tunnel": f"{TUNNEL}.0/24",
            "server": f"{self.server_ip}:{HTTP_PORT} ({NAME})", "canary": self.canary_ip,
            "app_ip": self.app_ip, "exceptions": self.exceptions,
        }  # fmt: skip


def bring_up(seat: SeatContext, app: str = roles.CHROME) -> Vpn:
    """The VPN for ``app`` (its running container), up and routed; raises SetupError naming
    the part that did not come up."""
    app_container = seat.app(app)
    image = seat.image(roles.VPN)
    seat_net = seat.network.get()
    vpn_net = seat.network.extra("vpn-net", internal=True)
    seat_name, vpn_name = str(seat_net.name), str(vpn_net.name)
    token = secrets.token_hex(8)
    server = http_server(seat, SERVER, vpn_name, image, f"vpn-{token}", cap_add=["NET_ADMIN"])
    canary = http_server(seat, CANARY, seat_name, image, "canary")
    endpoint = seat.create(
        ENDPOINT, remember=False, image=image, init=True, command=["sleep", "infinity"],
        network=seat_name, cap_add=["NET_ADMIN"], devices=[f"{TUN}:{TUN}:rwm"],
        environment=WG_ENV, sysctls={"net.ipv4.ip_forward": "1"},
    )  # fmt: skip
    vpn_net.connect(endpoint)
    start(ENDPOINT, endpoint)
    client = tunnel_container(seat, CLIENT, image, network_mode=f"container:{app_container.id}")
    address = seat.network.address_of
    endpoint_ip, server_ip = address(endpoint, seat_name), address(server, vpn_name)
    vpn = Vpn(
        app=app, network=vpn_net, endpoint=endpoint, server=server, canary=canary,
        client=client, endpoint_ip=endpoint_ip, server_ip=server_ip,
        endpoint_vpn_ip=address(endpoint, vpn_name),
        canary_ip=address(canary, seat_name), app_ip=address(app_container, seat_name),
        token=token,
    )  # fmt: skip
    # The server takes its page from the endpoint alone, on its VPN address (whatever the
    # engine forwards between networks meanwhile); what it turned away is counted.
    must(
        server,
        "nft add table inet seatcheck && "
        "nft 'add chain inet seatcheck in { type filter hook input priority 0 ; }' && "
        f"nft add rule inet seatcheck in ip daddr {server_ip} tcp dport {HTTP_PORT} "
        f"ip saddr != {vpn.endpoint_vpn_ip} counter reject with tcp reset",
        "take the test server's page from the endpoint alone (nft)", SERVER,
    )  # fmt: skip
    squid_ip = address(seat.squid(), seat_name)
    # The package cache chrome's run-time installs use (rpmcache): reached by eth0, named.
    vpn.exceptions = {squid_ip: "the package cache (rpmcache, squid on the seat network)"}
    vpn.routes_before = must(client, "ip -4 route show", "read chrome's routes", CLIENT).split("\n")
    vpn.routes_before = [r.strip() for r in vpn.routes_before if r.strip()]
    vpn.resolv_before = must(app_container, "cat /etc/resolv.conf", "read chrome's resolver", app)

    endpoint_key = wireguard(endpoint, ENDPOINT)
    client_key = wireguard(client, CLIENT)
    must(
        endpoint,
        f"wg set wg0 listen-port {PORT} private-key /run/seatcheck-wg/key "
        f"peer {client_key} allowed-ips {CLIENT_ADDR}/32 && "
        f"ip addr add {ENDPOINT_ADDR}/24 dev wg0 && ip link set wg0 up && "
        # The tunnel's traffic leaves onto the VPN's network as the endpoint's own.
        "nft add table ip seatcheck && "
        "nft 'add chain ip seatcheck post { type nat hook postrouting priority 100 ; }' && "
        f"nft add rule ip seatcheck post ip saddr {TUNNEL}.0/24 oifname != wg0 masquerade && "
        # The public-looking address is the test server's, behind the tunnel only (a
        # destination translated here: the VPN's internal network carries its own subnet).
        "nft 'add chain ip seatcheck pre { type nat hook prerouting priority -100 ; }' && "
        f"nft add rule ip seatcheck pre iifname wg0 ip daddr {PUBLIC_ADDR} dnat to {server_ip}",
        "configure the endpoint's tunnel and NAT", ENDPOINT,
    )  # fmt: skip
    must(
        endpoint,
        f"dnsmasq --no-resolv --no-hosts --listen-address={ENDPOINT_ADDR} --bind-interfaces "
        f"--address=/{NAME}/{server_ip} --address=/{RPMCACHE}/{squid_ip} "
        "--log-queries --log-facility=/run/seatcheck-dns.log",
        "start the VPN's resolver (dnsmasq)", ENDPOINT,
    )  # fmt: skip
    seat_subnet = next(
        (r.split()[0] for r in vpn.routes_before if "proto kernel" in r and "dev eth0" in r), ""
    )
    keep = "".join(f"ip route add {ip}/32 dev eth0 && " for ip in [endpoint_ip, *vpn.exceptions])
    must(
        client,
        f"wg set wg0 private-key /run/seatcheck-wg/key peer {endpoint_key} "
        f"endpoint {endpoint_ip}:{PORT} allowed-ips 0.0.0.0/0 persistent-keepalive 1 && "
        f"ip addr add {CLIENT_ADDR}/24 dev wg0 && ip link set wg0 up && {keep}"
        # The kill switch: nothing but the tunnel and the host routes above leaves chrome.
        + (f"ip route del {seat_subnet} dev eth0 && " if seat_subnet else "")
        + "ip route del default; ip route add default dev wg0",
        "route chrome through the tunnel", CLIENT,
    )  # fmt: skip
    must(
        app_container, f"printf 'nameserver {ENDPOINT_ADDR}\\n' > /etc/resolv.conf",
        "point chrome's resolver at the VPN's", app,
    )  # fmt: skip
    for role, part in ((ENDPOINT, endpoint), (SERVER, server), (CANARY, canary), (CLIENT, client)):
        seat.hooks.container_started(seat, role, part)
    return vpn


def drop(vpn: Vpn) -> None:
    """The tunnel drops as a crashed VPN client drops it: wireguard-go dies, wg0 goes."""
    must(vpn.client, "pkill -KILL -x wireguard-go; sleep 1; ! ip link show wg0 2>/dev/null",
         "drop the tunnel (kill wireguard-go)", CLIENT)  # fmt: skip
    vpn.dropped = True


def restore(seat: SeatContext, vpn: Vpn) -> None:
    """chrome's routes and resolver as before the VPN; the VPN's parts removed. Idempotent."""
    if vpn.restored:
        return
    vpn.restored = True
    app_container = seat.app(vpn.app)
    subnet_first = sorted(vpn.routes_before, key=lambda r: r.startswith("default"))
    script = "pkill -x wireguard-go; ip route flush table main; " + "".join(
        f"ip route add {r}; " for r in subnet_first
    )
    try:
        execs.shell(vpn.client, script, timeout=30)
        execs.shell(
            app_container, f"printf %s {shlex.quote(vpn.resolv_before)} > /etc/resolv.conf",
            timeout=30,
        )  # fmt: skip
    finally:
        for part in (vpn.client, vpn.endpoint, vpn.server, vpn.canary):
            with contextlib.suppress(docker.errors.NotFound):
                part.remove(force=True, v=True)
        with contextlib.suppress(docker.errors.APIError):  # else the seat's teardown, by label
            vpn.network.remove()
