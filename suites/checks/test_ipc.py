"""IPC: every app lives in the X server's IPC namespace (not the host's), and shared memory
really crosses it: a pattern an app writes into an MIT-SHM segment reaches the screen."""

from __future__ import annotations

import os
from dataclasses import asdict

import pytest

from seatcheck import drivers, roles
from seatcheck.probes import ipc, proc
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for

from .common import Present, Record, app_of, managed_window, screen_shows

pytestmark = pytest.mark.family("ipc")

# Unusual stripes: no desktop default draws them.
SHM_PATTERN = ((201, 37, 74), (37, 201, 180), (240, 200, 10), (90, 40, 210))


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_ipc_app_shares_x_server_namespace(
    seat: Seat, presentation: Present, role: str, record_property: Record
) -> None:
    """Every process of the app container, its own program's among them (found by the
    presentation's title in their arguments), is in the X server's IPC namespace, not the
    host's. Not looked at: processes started after the check."""
    shown = presentation(role)  # the app's own program, running
    server = ipc.x_server(seat.gnome())
    app = ipc.ipc_facts(app_of(seat, role))
    host = proc.namespace(os.getpid(), "ipc")  # the harness runs in the host's namespace
    processes = ipc.every_process(app_of(seat, role))
    program = [p for p in processes if shown.title in p.command]
    record_property("ipc", {
        "x_server": asdict(server), role: asdict(app), "host": host,
        "processes": [asdict(p) for p in processes],
    })  # fmt: skip
    assert program, (
        f"expected {role}'s own program ({shown.title}) among its container's processes; "
        f"found {[p.command for p in processes]}"
    )
    elsewhere = [p for p in processes if p.namespace != server.namespace]
    assert not elsewhere, (
        f"expected every process of the {role} container in the X server's IPC namespace "
        f"{server.namespace} ({server.name}, pid {server.pid}); found "
        + "; ".join(f"{p.command[:60]!r} (pid {p.pid}) in {p.namespace}" for p in elsewhere)
    )
    assert app.namespace != host, f"expected {role} not in the host's IPC namespace {host}"


def test_ipc_mit_shm_pattern_reaches_screen(seat: Seat, record_property: Record) -> None:
    """The shell app's own client attaches a SysV shared memory segment to the X server
    (XShmAttach) and draws stripes into a window through it; each stripe's colour is on the
    screen. Not looked at: MIT-SHM in the other apps (chromium, VLC), its file descriptor form
    (XShmAttachFd), and what the card sends to a monitor (the X server's copy is read)."""
    shell = drivers.ShellDriver(app_of(seat, roles.SHELL), seat.config.seat_user)
    launch = shell.shm_pattern(SHM_PATTERN)
    record_property("launch", asdict(launch))
    try:
        status = wait_for(lambda: shell.log(launch.title), 15, "the MIT-SHM client's status")
    except WaitTimeout:
        status = ""
    record_property("client", status)
    assert status.splitlines()[-1:] == ["attached"], (
        "expected XShmAttach of a SysV segment from the shell container to succeed; found "
        f"{status or 'no word from the client'!r}"
    )
    win = managed_window(seat, launch.title, roles.SHELL)
    stripe = win.width // len(SHM_PATTERN)
    spots = [
        (win.x + stripe * i + stripe // 2, win.y + win.height // 2) for i in range(len(SHM_PATTERN))
    ]
    found = screen_shows(seat, win, spots, SHM_PATTERN, "shm-pattern.png", roles.SHELL)
    record_property("stripes_on_screen", found)
    assert found == [tuple(c) for c in SHM_PATTERN] or all(
        all(abs(a - b) <= 2 for a, b in zip(f, w, strict=True))
        for f, w in zip(found, SHM_PATTERN, strict=True)
    ), (
        f"expected the stripes written into the MIT-SHM segment, RGB{list(SHM_PATTERN)}, on "
        f"the screen; found {found} (window at {win.x},{win.y} {win.width}x{win.height})"
    )
