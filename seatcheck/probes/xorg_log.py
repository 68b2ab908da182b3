"""The X server's own log: which driver drives the card, whether glamor came up, and which
Mesa DRI driver X names to GL clients."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docker.models.containers import Container

from ..engine import execs
from ..errors import ProbeError

LOG = "/var/log/Xorg.0.log"
# A driver's screen messages carry its prefix: "(II) modeset(0): ...", "(II) AMDGPU(0): ...".
SCREEN_PREFIXES = {
    "modeset": "modesetting", "AMDGPU": "amdgpu", "NVIDIA": "nvidia", "intel": "intel",
    "RADEON": "radeon", "NOUVEAU": "nouveau", "FBDEV": "fbdev", "VESA": "vesa",
    "dummy": "dummy",
}  # fmt: skip


@dataclass(frozen=True)
class XorgLog:
    driver_in_use: str  # the driver that set up screen 0 ("" if none did)
    drivers_loaded: tuple[str, ...]  # LoadModule of video drivers, in order
    glamor: bool  # "glamor initialized"
    dri_driver: str  # "[DRI2]   DRI driver: iris"
    card: str  # the DRM node the driver opened, where the log names it
    errors: tuple[str, ...]  # (EE) lines


def parse(text: str) -> XorgLog:
    screen = re.search(r"\((?:II|--|==|\*\*)\) (\w+)\(0\): ", text)
    loaded = re.findall(r'LoadModule: "(\w+)"', text)
    video = tuple(m for m in loaded if m in SCREEN_PREFIXES.values() or m == "modesetting")
    dri = re.search(r"\[DRI2\]\s+DRI driver: (\w+)", text)
    card = re.search(r"(/dev/dri/card\d+)", text)
    return XorgLog(
        driver_in_use=SCREEN_PREFIXES.get(screen.group(1), screen.group(1)) if screen else "",
        drivers_loaded=video,
        glamor="glamor initialized" in text,
        dri_driver=dri.group(1) if dri else "",
        card=card.group(1) if card else "",
        errors=tuple(line.strip() for line in text.splitlines() if "(EE)" in line)[:10],
    )


def read(container: Container) -> XorgLog:
    """The log of the X server in the gnome container (display xorg)."""
    result = execs.check(container, ["cat", LOG], timeout=10)
    if not result.stdout.strip():
        raise ProbeError(f"{LOG} in {container.name} is empty")
    return parse(result.stdout)
