"""The seat network: one bridge per run that every seat container joins, and the other
networks a check makes (an "outside"), each labelled with the session."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable

import docker.errors
from docker import DockerClient
from docker.models.containers import Container
from docker.models.networks import Network

from .. import roles
from ..engine.labels import labels, seat_name
from ..errors import SetupError
from .guard import SeatGuard


class SeatNetwork:
    def __init__(self, client: DockerClient, session: str, guard: SeatGuard) -> None:
        self.client = client
        self.session = session
        self.guard = guard
        self._network: Network | None = None

    def get(self) -> Network:
        self.guard.watch()
        if self._network is None:
            self._network = self.client.networks.create(
                seat_name(self.session, roles.NETWORK), driver="bridge",
                labels=labels(self.session, "network"),
            )  # fmt: skip
        return self._network

    @property
    def made(self) -> bool:
        return self._network is not None

    def subnets(self) -> list[str]:
        ipam = self.get().attrs.get("IPAM") or {}
        return [c["Subnet"] for c in ipam.get("Config") or [] if c.get("Subnet")]

    def extra(self, role: str, internal: bool = False) -> Network:
        """A labelled network apart from the seat's (a check's "outside"); ``internal``: the
        engine gives it no route out."""
        self.guard.watch()
        return self.client.networks.create(
            f"{seat_name(self.session, role)}-{secrets.token_hex(3)}", driver="bridge",
            internal=internal, labels=labels(self.session, role),
        )  # fmt: skip

    def addresses_of(self, containers: Iterable[Container]) -> set[str]:
        """The addresses of those containers that have one on the seat network now."""
        found = set()
        for container in containers:
            with contextlib.suppress(docker.errors.DockerException, SetupError):
                found.add(self.address_of(container))
        return found

    def address_of(self, container: Container, network: str | None = None) -> str:
        """The container's address on the seat network (or on ``network``, by name): a
        container that joined another's network namespace (``container:<id>``) speaks with
        that one's address."""
        container.reload()
        mode = str(container.attrs["HostConfig"].get("NetworkMode") or "")
        if mode.startswith("container:"):
            owner = self.client.containers.get(mode.split(":", 1)[1])
            return self.address_of(owner, network)
        name = network or str(self.get().name)
        nets = container.attrs["NetworkSettings"]["Networks"]
        if name not in nets:
            raise SetupError(
                str(container.name), f"{container.name} is not on the network {name} (it is "
                f"on {', '.join(nets) or 'none'})",
            )  # fmt: skip
        return str(nets[name]["IPAddress"])
