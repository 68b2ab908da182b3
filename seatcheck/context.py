"""What a part of the seat may ask of the seat: the one seam between ``parts/`` and the
``Seat`` facade (``topology``), so that no part imports the facade, not even for typing.

The seat's shared resources are objects of their own (``guard``, ``network``, ``tmp``,
``devices``, ``secrets``); a part that needs something new adds it here, where the list
shows.
"""

from __future__ import annotations

from typing import Any, Protocol

from docker import DockerClient
from docker.models.containers import Container

from .config import SeatConfig
from .facts import RunFacts
from .images import ImageBuilder
from .parts.common_tmp import CommonTmp, PulseRuntime
from .parts.devices import SeatDevices
from .parts.guard import SeatGuard
from .parts.network import SeatNetwork
from .secrets import SeatSecrets
from .timeline import Timeline


class SeatContext(Protocol):
    # the run
    client: DockerClient
    config: SeatConfig
    session: str
    timeline: Timeline
    images: ImageBuilder
    facts: RunFacts
    # what the seat shares, and what stands guard over it
    guard: SeatGuard
    network: SeatNetwork
    tmp: CommonTmp
    devices: SeatDevices
    secrets: SeatSecrets
    host_labels_before: dict[str, str]  # labels of the host paths bound in, before the seat

    def name_of(self, role: str) -> str: ...
    def image(self, role: str) -> str: ...
    def create(self, role: str, remember: bool = True, **kwargs: Any) -> Container: ...
    def seat_addresses(self) -> set[str]: ...

    hooks: SeatHooks

    # the parts an app waits on, and the apps (the VPN's client joins one)
    def squid(self) -> Container: ...
    def gnome(self) -> Container: ...
    def app(self, role: str) -> Container: ...
    @property
    def pulse(self) -> PulseRuntime: ...


class SeatHooks:
    """Extension points around each container; the pytest plugin routes them to its hooks."""

    def container_config(self, seat: SeatContext, role: str, kwargs: dict[str, Any]) -> None:
        """Adjust create() arguments before ``role``'s container is created."""

    def container_started(self, seat: SeatContext, role: str, container: Container) -> None:
        """``role``'s container is ready."""

    def build_config(self, seat: SeatContext, role: str, kwargs: dict[str, Any]) -> None:
        """Adjust build() arguments before ``role``'s image is built."""
