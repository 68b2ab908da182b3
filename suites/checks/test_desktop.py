"""The first end-to-end checks: GNOME Shell runs, app windows reach it, the screen is captured.

Shared by every profile: each profile's folder imports these and supplies its profile.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from docker.models.containers import Container

from seatcheck.probes import x11
from seatcheck.reports import SCREENSHOT
from seatcheck.topology import Seat

pytestmark = pytest.mark.family("desktop")


def test_desktop_gnome_shell_owns_the_screen(
    seat: Seat, gnome: Container, record_property: Callable[[str, object], None]
) -> None:
    """The WM_S0 selection has an owner, and the window manager named by the root's
    _NET_SUPPORTING_WM_CHECK calls itself GNOME Shell. Not looked at: screens other than screen
    0, and whether the shell's panel, overview and extensions work."""
    with x11.display_at(seat.tmp.x_socket) as dpy:
        wm = x11.window_manager(dpy)
    record_property("window_manager", asdict(wm))
    assert wm.wm_selection_owned, "expected the WM_S0 selection to be owned; found no owner"
    assert wm.name == "GNOME Shell", f"expected window manager 'GNOME Shell'; found {wm.name!r}"


def test_desktop_screenshot_saved(
    seat: Seat, gnome: Container, run_dir: Path, record_property: Callable[[str, object], None]
) -> None:
    """The root window's pixels, as the X server holds them, are saved as the run's screenshot
    and are not one flat colour. Not looked at: what the screen shows (any two colours pass),
    and what the card sends to a monitor (the X server's copy is read)."""
    with x11.display_at(seat.tmp.x_socket) as dpy:
        image = x11.screenshot(dpy)
    path = run_dir / SCREENSHOT
    image.save(path)
    record_property("screenshot", str(path))
    assert not x11.is_flat(image), "expected a drawn desktop; found one flat colour"
