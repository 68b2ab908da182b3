"""The real console, where the display mode takes one (xorg): while the seat is up, its X
server holds its VT in graphics mode with the keyboard off, and a process of the gnome
container is the DRM master of the profile's card."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
from docker.models.containers import Container

from seatcheck import console
from seatcheck.probes import drm, proc
from seatcheck.topology import Seat

from .common import Record

pytestmark = pytest.mark.family("console")

KD_GRAPHICS = 1
K_OFF = 4


def _display(seat: Seat) -> dict[str, Any]:
    """The display mode's facts; skips where the X server takes no console."""
    display = seat.facts.display
    if display.get("mode") != "xorg":
        pytest.skip(
            f"the {seat.config.profile.name} profile's X server ({display.get('mode')}) takes "
            "no VT and no DRM card: no console to hold"
        )
    return dict(display)


def test_console_x_holds_its_vt(seat: Seat, gnome: Container, record_property: Record) -> None:
    """While the seat is up, the X server's VT is the active one, in KD_GRAPHICS with the
    keyboard K_OFF, read once through the VT's own ioctls. Not looked at: a switch away and back
    (Ctrl+Alt+F<n>), and the VT's switching mode (recorded, not judged)."""
    vt = int(_display(seat)["vt"])
    state = console.read_vt(vt)
    active = console.active_vt()
    record_property("vt", {"active": active, "state": state.describe()})
    assert (active, state.kd_mode, state.kb_mode) == (vt, KD_GRAPHICS, K_OFF), (
        f"expected tty{vt} active, in KD_GRAPHICS with the keyboard K_OFF while X runs on it; "
        f"found tty{active} active, {state.describe()}"
    )


def test_console_gnome_holds_drm_master(
    seat: Seat, gnome: Container, record_property: Record
) -> None:
    """The kernel's list of the card's clients (debugfs) names a process in the gnome
    container's PID namespace as the card's DRM master. Not looked at: which of its processes
    that is (any in the namespace passes), the render nodes, and the master after a VT
    switch."""
    card = str(_display(seat)["card"])
    rows = drm.clients(card)
    record_property("drm_clients", [asdict(r) for r in rows])
    assert rows, f"expected the kernel to list the clients of {card}; found none"
    gnome_ns = proc.namespace(proc.pid_of(gnome), "pid")
    masters = [r for r in rows if r.master]
    ours = [r for r in masters if proc.namespace(r.pid, "pid") == gnome_ns]
    assert ours, (
        f"expected a process of the gnome container (pid namespace {gnome_ns}) to be the DRM "
        f"master of {card}; found masters "
        + (", ".join(f"{r.command} (pid {r.pid})" for r in masters) or "none")
    )
