"""What a part of the seat may ask of the seat: the one seam between ``parts/`` and the
``Seat`` facade (``topology``), so that no part imports the facade, not even for typing.

It is wider than it should be (each member is one a part uses today); a part that needs
something new adds it here, where the list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from docker import DockerClient
from docker.models.containers import Container
from docker.models.networks import Network

from .config import SeatConfig
from .console import ConsoleSnapshot
from .images import ImageBuilder
from .nvidia import UserSpace
from .secrets import SecretSet
from .timeline import Timeline

DISPLAY = ":0"


@dataclass(frozen=True)
class PulseRuntime:
    machine_id: str
    runtime_dir: str  # inside the containers, e.g. /tmp/pulse-AbC123

    @property
    def socket(self) -> str:
        return f"{self.runtime_dir}/native"


class SeatContext(Protocol):
    # the run
    client: DockerClient
    config: SeatConfig
    session: str
    timeline: Timeline
    images: ImageBuilder
    facts: dict[str, Any]
    # what the console and the host paths were before the seat
    console_before: ConsoleSnapshot | None
    getty_before: str | None
    host_labels_before: dict[str, str]

    # naming, images and creating
    def name_of(self, role: str) -> str: ...
    def image(self, role: str) -> str: ...
    def create(self, role: str, remember: bool = True, **kwargs: Any) -> Container: ...

    # what the seat shares
    def network(self) -> Network: ...
    def network_subnets(self) -> list[str]: ...
    def seat_addresses(self) -> set[str]: ...
    def address_of(self, container: Container) -> str: ...
    def tmp_mount(self) -> dict[str, dict[str, str]]: ...
    @property
    def tmp_path(self) -> Path: ...
    @property
    def x_socket(self) -> Path: ...
    @property
    def has_common_tmp(self) -> bool: ...
    def refuse_volume_in_use(self, name: str, role: str, advice: str) -> None: ...

    # devices and privilege
    def device_args(self) -> dict[str, Any]: ...
    def device_paths(self) -> list[str]: ...
    def gpu_user_space(self) -> UserSpace | None: ...
    def driver_volumes(self) -> dict[str, dict[str, str]]: ...
    def privilege_args(self) -> dict[str, Any]: ...
    def secrets(self) -> SecretSet: ...

    # the parts an app waits on
    def squid(self) -> Container: ...
    def gnome(self) -> Container: ...
    @property
    def pulse(self) -> PulseRuntime: ...

    def watchdog_done(self) -> None: ...
