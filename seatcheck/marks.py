"""Marks a run writes where something outside it is watching: in ``seatcheck vm`` the harness
runs inside the VM and the host watches the serial console, noting at each mark how far the
VM's sound card has written its wav file (so that a step's samples can be found in it)."""

from __future__ import annotations

import contextlib
import os

ENV = "SEATCHECK_MARKS"  # where to write them (the VM's job sets /dev/ttyS0)
PREFIX = "seatcheck-mark:"


def watched() -> bool:
    return bool(os.environ.get(ENV))


def mark(name: str) -> None:
    """Write ``seatcheck-mark: NAME`` where the watcher reads (nothing where none watches)."""
    target = os.environ.get(ENV)
    if not target:
        return
    with contextlib.suppress(OSError), open(target, "w") as out:
        out.write(f"{PREFIX} {name}\n")
