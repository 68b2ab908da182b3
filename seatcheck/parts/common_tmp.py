"""The shared /tmp volume (the recipe's ``common_tmp``): the X socket and the pulse runtime
every seat container reaches. New for the run, or the configured named one, cleared of what a
dead seat left in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker.errors
from docker import DockerClient
from docker.models.volumes import Volume

from .. import roles
from ..config import SeatConfig
from ..drivers import cleanup
from ..engine.containers import refuse_volume_in_use
from ..engine.labels import labels, seat_name
from ..facts import RunFacts
from .guard import SeatGuard

DISPLAY = ":0"


@dataclass(frozen=True)
class PulseRuntime:
    """gnome's pulse runtime in the shared /tmp, which every app container reaches."""

    machine_id: str
    runtime_dir: str  # inside the containers, e.g. /tmp/pulse-AbC123
    host_socket: Path  # its native socket as the host sees it, in the shared volume

    @property
    def socket(self) -> str:
        return f"{self.runtime_dir}/native"


class CommonTmp:
    def __init__(
        self, client: DockerClient, config: SeatConfig, guard: SeatGuard,
        progress: Callable[[str], None], facts: RunFacts,
    ) -> None:  # fmt: skip
        self.client = client
        self.config = config
        self.guard = guard
        self.progress = progress
        self.facts = facts
        self._volume: Volume | None = None

    def volume(self) -> Volume:
        self.guard.watch()
        if self._volume is None:
            name = self.config.tmp_volume
            if not name:
                session = self.config.run_id
                self._volume = self.client.volumes.create(
                    name=seat_name(session, roles.COMMON_TMP),
                    labels=labels(session, roles.COMMON_TMP),
                )
            else:
                self._volume = self._reuse(name)
        return self._volume

    @property
    def made(self) -> bool:
        return self._volume is not None

    def _reuse(self, name: str) -> Volume:
        try:
            volume = self.client.volumes.get(name)
        except docker.errors.NotFound:
            return self.client.volumes.create(
                name=name, labels=labels(self.config.run_id, roles.COMMON_TMP, keep=True)
            )
        refuse_volume_in_use(self.client, name, roles.COMMON_TMP, "stop them or name another")
        cleared = cleanup.clear_stale(Path(volume.attrs["Mountpoint"]))
        if cleared:
            self.progress(f"[common_tmp] cleared what a dead seat left: {'; '.join(cleared)}")
        self.facts.common_tmp_cleared = cleared
        return volume

    @property
    def path(self) -> Path:
        """Where the shared /tmp lies on the host (the engine runs on this machine)."""
        return Path(self.volume().attrs["Mountpoint"])

    @property
    def x_socket(self) -> Path:
        return self.path / ".X11-unix" / f"X{DISPLAY.lstrip(':')}"

    def mount(self) -> dict[str, dict[str, str]]:
        # :z — the shared label, so that every container may use the volume.
        return {self.volume().name: {"bind": "/tmp", "mode": "rw,z"}}
