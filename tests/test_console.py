"""The console on this machine's real VTs (VT 60; tty1 is never touched): a crashed X server's
VT state is caught by the console check and put back by ``seatcheck restore-console``."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from conftest import ROOT
from docker import DockerClient

from seatcheck import console
from seatcheck.engine.labels import labels
from seatcheck.waits import wait_for

VT = 60
pytestmark = pytest.mark.skipif(
    not console.has_vts(), reason="this machine has no VTs (/dev/tty0, /sys/class/tty/tty0)"
)
# As a crashed X server leaves its VT: graphics mode, keyboard off, and VT_PROCESS (X's own
# switching protocol, struct vt_mode {char mode, waitv; short relsig, acqsig, frsig}).
BREAK = (
    f'open(my $t, "+<", "/dev/tty{VT}") or die "open: $!"; ioctl($t, 0x4B3A, 1) or die; '
    "$| = 1; ioctl($t, 0x4B45, 4) or die; "
    'my $m = pack("ccsss", 1, 0, 0, 0, 0); ioctl($t, 0x5602, $m) or die "VT_SETMODE: $!"; '
    'print "broken\\n"; sleep 600'
)


def test_crashed_x_vt_is_caught_and_restored(client: DockerClient, base_image: str) -> None:
    session = f"console-test-{secrets.token_hex(3)}"
    before = console.snapshot({VT})
    console.save(session, before)
    was = before.vts[VT].describe().split(": ", 1)[1]
    try:
        breaker = client.containers.run(
            base_image, ["perl", "-e", BREAK], detach=True, cap_add=["SYS_TTY_CONFIG"],
            devices=[f"/dev/tty{VT}:/dev/tty{VT}:rwm"], labels=labels(session, "vt-breaker"),
        )  # fmt: skip
        try:
            wait_for(lambda: b"broken" in breaker.logs(), 30, "the VT to be taken")
            breaker.kill()  # dies like a crashed X server: nothing is cleaned up
        finally:
            breaker.remove(force=True)
        problems = console.differences(before, console.snapshot({VT}))
        assert problems == [f"tty{VT}: KD_GRAPHICS, keyboard K_OFF, VT_PROCESS; expected {was}"]

        proc = subprocess.run(
            [sys.executable, "-m", "seatcheck", "restore-console", "--session", session],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"tty{VT}: KD_GRAPHICS, keyboard K_OFF" in proc.stdout
        assert console.differences(before, console.snapshot({VT})) == []
        assert before.active == console.active_vt()
    finally:
        console.restore(before)  # leave the console as found, whatever happened above
        console.forget(session)


def test_restore_console_without_snapshot_is_one_line(tmp_path: object) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "seatcheck", "restore-console", "--session", "no-such-run"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "no console snapshot for run no-such-run" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_first_free_vt_is_a_free_one_and_never_tty1() -> None:
    """The xorg display mode's choice: the kernel's first VT no process holds open, raised to
    the floor given (tty1 is a person's login console)."""
    found = console.first_free_vt()
    assert 2 <= found < 64
    high = console.first_free_vt(lowest=40)
    assert high >= 40 and high not in console.allocated_vts()
