"""VLC's own account of its video output, read from its debug log (``-vv``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VOUT = re.compile(r'main vout display debug: using vout display module "([^"]+)"')
_GL = re.compile(r'main gl debug: using opengl module "([^"]+)"')
_EGL = re.compile(r"gl debug: EGL version (.+)")


@dataclass(frozen=True)
class VlcVideo:
    vout: str  # the vout display module in use ("gl", "xcb_x11", ...), "" if none yet
    opengl: str  # the OpenGL provider module ("egl_x11", "glx"), "" if none
    egl: str  # "1.5 by Mesa Project" where EGL was used
    errors: tuple[str, ...]  # the log's vout and gl error lines


def parse_log(text: str) -> VlcVideo:
    def last(pattern: re.Pattern[str]) -> str:
        found = pattern.findall(text)
        return found[-1].strip() if found else ""

    errors = tuple(
        line.strip()
        for line in text.splitlines()
        if re.search(r"(vout display|gl|opengl) error", line)
    )
    return VlcVideo(last(_VOUT), last(_GL), last(_EGL), errors[-5:])
