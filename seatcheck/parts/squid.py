"""The package cache: squid on the seat network, answering as ``rpmcache``, its store on a
volume that outlives runs (one squid per store: two on one cache directory corrupt it)."""

from __future__ import annotations

import docker.errors
from docker.models.containers import Container
from docker.models.volumes import Volume

from .. import cache, roles
from ..engine.containers import refuse_volume_in_use
from ..engine.labels import labels
from .base import Part, port_open, start, wait_ready

PORT = cache.PORT


class SquidPart(Part):
    role = roles.SQUID

    def start(self) -> Container:
        seat = self.seat
        image = seat.image(roles.SQUID)
        volume = self.cache_volume()
        net = seat.network.get()
        container = seat.create(
            roles.SQUID,
            image=image,
            volumes={volume.name: {"bind": "/var/spool/squid", "mode": "rw,z"}},
            network=net.name,
            # Only the seat network's clients may use the cache.
            environment={"SEATCHECK_CLIENTS": " ".join(seat.network.subnets())},
            # The recipe links squid as rpmcache; a network alias is the modern equivalent.
            networking_config={
                net.name: seat.client.api.create_endpoint_config(aliases=[cache.RPMCACHE])
            },
        )
        start(roles.SQUID, container)
        ip = seat.network.address_of(container)
        wait_ready(
            roles.SQUID, container, lambda: port_open(ip, PORT), 60, f"port {PORT}", interval=0.1
        )
        seat.facts.squid = {"address": f"{ip}:{PORT}", "volume": volume.name}
        # From here on, every image build goes through the cache.
        seat.images.cache = cache.SquidAccess(container, str(net.name), ip, seat.seat_addresses)
        return container

    def cache_volume(self) -> Volume:
        seat = self.seat
        name = seat.config.squid_volume
        # Two squids on one cache directory corrupt it: another seat's squid has it now.
        refuse_volume_in_use(
            seat.client, name, roles.SQUID,
            "a seat that runs beside another needs a cache of its own (--seatcheck-squid-volume)",
        )  # fmt: skip
        try:
            return seat.client.volumes.get(name)
        except docker.errors.NotFound:
            return seat.client.volumes.create(
                name=name, labels=labels(seat.session, "squid-cache", keep=True)
            )
