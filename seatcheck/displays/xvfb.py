"""Xvfb: a virtual framebuffer with GLX (llvmpipe), for seats without a GPU or a console."""

from __future__ import annotations

from .base import DisplayMode


class XvfbDisplay(DisplayMode):
    name = "xvfb"
