"""What a display mode gives the gnome container: the X server it runs (the image's
``seatcheck-xserver`` reads ``/etc/seatcheck/xserver.env``), and the devices it needs."""

from __future__ import annotations

from typing import Any

from ..parts.base import FileEntry
from ..profile import Profile

XSERVER_ENV = "etc/seatcheck/xserver.env"


class DisplayMode:
    name = ""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def prepare(self) -> None:
        """Choose what depends on the machine (a free VT), before the container is made."""

    def devices(self) -> list[str]:
        """Device nodes the X server needs beyond the profile's own."""
        return []

    def settings(self) -> dict[str, str]:
        """What ``seatcheck-xserver`` in the gnome image reads."""
        return {"SEATCHECK_XSERVER": self.name}

    def files(self) -> list[FileEntry]:
        env = "".join(f"{k}={v}\n" for k, v in sorted(self.settings().items()))
        return [FileEntry(XSERVER_ENV, env.encode())]

    def facts(self) -> dict[str, Any]:
        return {"mode": self.name}
