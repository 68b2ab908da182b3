"""Privilege that shows the hardware: where --privileged had to be downgraded, the system
paths real privileged mode shows (/proc/asound: the sound cards; /sys/firmware) are not masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatcheck.probes import proc
from seatcheck.topology import Seat

from .common import SEAT_ROLES, Record, container_of

pytestmark = pytest.mark.family("privilege")


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_privilege_system_paths_not_masked(seat: Seat, role: str, record_property: Record) -> None:
    """In the container's first process's mount table, no mount is placed on /proc/asound or
    /sys/firmware (those of them the host has): the engine masks a path by mounting over it. Not
    looked at: the other paths the engine masks (/proc/kcore, /proc/keys,
    /sys/devices/virtual/powercap and the like), mounts below these two, and whether the files
    under them can be read."""
    on_host = tuple(p for p in proc.SYSTEM_PATHS if Path(p).exists())
    if not on_host:
        pytest.skip("the host has none of " + ", ".join(proc.SYSTEM_PATHS) + ": nothing to show")
    mounts = proc.mounts_over(proc.pid_of(container_of(seat, role)), on_host)
    record_property("mounts_over_system_paths", mounts)
    masked = {path: how for path, how in mounts.items() if how}
    assert not masked, (
        f"expected {', '.join(on_host)} shown in the {role} container as --privileged shows "
        "them; found " + "; ".join(f"{p} masked by a {how} mount" for p, how in masked.items())
    )
