"""Xorg on a real VT: the profile's DRM card (modesetting, or the driver the profile names),
the machine's input devices, on the profile's VT or the first free one (never tty1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import console
from ..errors import SetupError
from ..parts.base import FileEntry
from .base import DisplayMode

XORG_CONF = "etc/X11/xorg.conf.d/10-seatcheck.conf"
INPUT_DIR = Path("/dev/input")


class XorgDisplay(DisplayMode):
    name = "xorg"
    vt = 0

    @property
    def card(self) -> str:
        """The DRM card X drives: the first card node among the profile's GPU devices (the
        profile loader refuses an xorg profile without one)."""
        return next(d for d in self.profile.gpu_devices if Path(d).name.startswith("card"))

    def prepare(self) -> None:
        if not console.has_vts():
            raise SetupError("gnome", "display xorg needs the machine's VTs: /dev/tty0 is absent")
        try:
            self.vt = self.profile.vt or console.first_free_vt()
        except OSError as exc:
            raise SetupError("gnome", f"display xorg: no VT for the seat: {exc}") from None
        if self.vt == console.LOGIN_VT:
            raise SetupError("gnome", "display xorg: the seat may not take tty1")

    def devices(self) -> list[str]:
        # The VT X takes, and tty0 through which it finds and switches to it; every input
        # event node the machine has (found at start, as X's libinput would find them).
        inputs = sorted(str(p) for p in INPUT_DIR.glob("event*")) if INPUT_DIR.is_dir() else []
        return ["/dev/tty0", f"/dev/tty{self.vt}", *inputs]

    def settings(self) -> dict[str, str]:
        return {**super().settings(), "SEATCHECK_VT": str(self.vt)}

    def conf(self) -> str:
        driver = self.profile.xorg_driver
        card = f'    Option "kmsdev" "{self.card}"\n' if driver == "modesetting" else ""
        return (
            'Section "ServerFlags"\n    Option "AutoAddGPU" "false"\nEndSection\n'
            f'Section "Device"\n    Identifier "seatcheck-gpu"\n    Driver "{driver}"\n'
            f"{card}EndSection\n"
        )

    def files(self) -> list[FileEntry]:
        return [*super().files(), FileEntry(XORG_CONF, self.conf().encode())]

    def facts(self) -> dict[str, Any]:
        return {**super().facts(), "vt": self.vt, "driver": self.profile.xorg_driver,
                "card": self.card}  # fmt: skip
