"""Display modes of the gnome seat: one small module each. ``xvfb`` for a seat without a GPU
(CI, the virtual profile); ``xorg`` for a seat on a real console (a VT, a DRM card)."""

from __future__ import annotations

from ..profile import Profile
from .base import DisplayMode
from .xorg import XorgDisplay
from .xvfb import XvfbDisplay

DISPLAYS: dict[str, type[DisplayMode]] = {"xvfb": XvfbDisplay, "xorg": XorgDisplay}


def display_for(profile: Profile) -> DisplayMode:
    return DISPLAYS[profile.display](profile)


__all__ = ["DISPLAYS", "DisplayMode", "XorgDisplay", "XvfbDisplay", "display_for"]
