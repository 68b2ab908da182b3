"""DRM cards: which processes have a card open and which of them is its master, from the
kernel's debugfs (``/sys/kernel/debug/dri/<minor>/clients``). Measures only.

The clients table (Linux 6.1)::

                 command   pid dev master a   uid      magic
                    Xorg  1234   0   y    y     0          0
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProbeError

DEBUGFS_DRI = Path("/sys/kernel/debug/dri")


@dataclass(frozen=True)
class DrmClient:
    command: str
    pid: int
    master: bool
    authenticated: bool
    uid: int


def parse_clients(text: str) -> list[DrmClient]:
    rows = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 6 or not parts[1].isdigit():
            continue
        rows.append(
            DrmClient(
                command=parts[0],
                pid=int(parts[1]),
                master=parts[3] == "y",
                authenticated=parts[4] == "y",
                uid=int(parts[5]),
            )  # fmt: skip
        )
    return rows


def minor_of(node: str) -> int:
    return os.minor(os.stat(node).st_rdev)


def clients(node: str) -> list[DrmClient]:
    """Who has the card ``node`` (e.g. /dev/dri/card0) open, as the kernel lists them."""
    path = DEBUGFS_DRI / str(minor_of(node)) / "clients"
    try:
        return parse_clients(path.read_text())
    except OSError as exc:
        raise ProbeError(f"cannot read {path} (is debugfs mounted?): {exc}") from None
