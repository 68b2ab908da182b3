"""App drivers: each app role's own program made to show a colour and play a tone.

A driver changes state in its container (it starts programs); the probes only measure. Each
app role names its driver here; a profile naming a role without one is refused.
"""

from __future__ import annotations

from docker.models.containers import Container

from .. import roles
from .base import AppDriver, Launch, Presentation
from .chrome import ChromeDriver
from .shell import ShellDriver
from .vlc import VlcDriver

DRIVERS: dict[str, type[AppDriver]] = {
    roles.SHELL: ShellDriver,
    roles.CHROME: ChromeDriver,
    roles.VLC: VlcDriver,
}


def driver_for(role: str, container: Container, user: str) -> AppDriver:
    try:
        return DRIVERS[role](container, user)
    except KeyError:
        raise ValueError(f"no driver for app role {role!r}") from None


__all__ = [
    "AppDriver",
    "ChromeDriver",
    "DRIVERS",
    "Launch",
    "Presentation",
    "ShellDriver",
    "VlcDriver",
    "driver_for",
]
