"""Clearing what a dead seat left in a reused common_tmp (state changes: not a probe)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..probes.tmpdir import stale_entries


def clear_stale(tmp: Path) -> list[str]:
    """Remove what ``stale_entries`` lists; returns what was removed."""
    cleared = stale_entries(tmp)
    for lock in tmp.glob(".X*-lock"):
        lock.unlink(missing_ok=True)
    for sock in (tmp / ".X11-unix").glob("X*"):
        sock.unlink(missing_ok=True)
    for runtime in tmp.glob("pulse-*"):
        if re.fullmatch(r"pulse-\w+", runtime.name) and runtime.is_dir():
            shutil.rmtree(runtime, ignore_errors=True)
    return cleared
