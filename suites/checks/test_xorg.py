"""Xorg on the machine's card (display xorg): the driver the profile expects drives it, with
glamor and the Mesa DRI driver the vendor should give, as the X server's own log says."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from seatcheck.probes import xorg_log
from seatcheck.topology import Seat

from .common import Record

pytestmark = pytest.mark.family("xorg")


def test_xorg_driver_in_use(seat: Seat, record_property: Record) -> None:
    """The X server's own log in the gnome container names the driver that set up screen 0 as
    the one the profile expects and, where the profile asks, glamor initialised and the DRI
    driver the log's DRI2 line names. Not looked at: screens other than screen 0, the monitors'
    modes and outputs, and what GL clients get (the glx checks ask them)."""
    prof = seat.config.profile
    if prof.display != "xorg":
        pytest.skip(f"the {prof.name} profile's X server ({prof.display}) drives no card")
    log = xorg_log.read(seat.gnome())
    record_property("xorg_log", asdict(log))
    want = prof.xorg.driver or prof.xorg_driver
    assert log.driver_in_use == want, (
        f"expected the X server to drive the card with {want}; found "
        + (log.driver_in_use or "no driver that set up a screen")
        + (f" (errors: {' | '.join(log.errors[:3])})" if log.errors else "")
    )
    if prof.xorg.glamor:
        assert log.glamor, (
            f"expected {want} to initialise glamor (GL-accelerated 2D); found no "
            "'glamor initialized' in the X log"
        )
    if prof.xorg.dri_drivers:
        assert log.dri_driver in prof.xorg.dri_drivers, (
            f"expected the X server to name the DRI driver {' or '.join(prof.xorg.dri_drivers)}; "
            f"found {log.dri_driver or 'none'}"
        )
