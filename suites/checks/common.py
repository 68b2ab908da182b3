"""What the check modules share: which containers a check runs in, an app's own pulse
stream, a managed window and what the screen shows. (Fixtures shared by several modules are
in conftest.py.)"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest
from docker.models.containers import Container

from seatcheck import drivers, roles
from seatcheck.drivers import Presentation
from seatcheck.probes import pulse, x11
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for

# Containers a seat user works in: the gnome container and every app container.
SEAT_ROLES = (roles.GNOME, *roles.APP_ROLES)
Record = Callable[[str, object], None]
Present = Callable[[str], Presentation]  # the presentation fixture: role -> what it shows
AUDIBLE = 0.5  # every driver plays at 0.9 of full scale
PEAK_WINDOW = 0.6  # seconds of the stream's own monitor per reading


def container_of(seat: Seat, role: str) -> Container:
    return seat.gnome() if role == roles.GNOME else app_of(seat, role)


def app_of(seat: Seat, role: str) -> Container:
    """The role's running app container; the check skips where the profile has no such app."""
    if role not in seat.config.profile.apps:
        pytest.skip(f"the {seat.config.profile.name} profile has no {role} app")
    return seat.app(role)


_streams: dict[str, pulse.StreamInfo | str] = {}  # role -> its stream, or why none was found


def app_stream(
    seat: Seat, server: Any, presentation: Present, role: str, again: bool = False
) -> pulse.StreamInfo:
    """The app's own stream on gnome's server, found by the container's host name and the
    program's binary (both set by libpulse in the app, not by seatcheck). ``again``: looked
    for anew, not taken from an earlier look (a program may open a new stream, as VLC did
    after a freeze under emulation)."""
    known = _streams.get(role)
    if isinstance(known, str):  # looked for once already: do not wait it out again
        pytest.fail(known)
    if known is not None and known.server_id == id(server) and not again:
        return known
    shown = presentation(role)
    app = app_of(seat, role)
    app.reload()
    host = str(app.attrs["Config"]["Hostname"])
    try:
        found = wait_for(
            lambda: pulse.find_app_stream(server, host, shown.stream_binary),
            30, f"{role}'s stream",
        )  # fmt: skip
    except WaitTimeout:
        seen = [
            {
                k: si.proplist.get(k)
                for k in ("application.process.host", "application.process.binary")
            }
            for si in server.sink_input_list()
        ]
        driver = drivers.driver_for(role, app, seat.config.seat_user)
        logs = "; ".join(
            f"{launch.title}: {driver.log(launch.title)[-300:] or 'no output'}"
            for launch in shown.launches
        )
        _streams[role] = (
            f"expected a sink input from {role} ({shown.stream_binary} on host {host}) on the "
            f"gnome container's pulse server; found {seen or 'no sink inputs'} (the program "
            f"said: {logs})"
        )
        pytest.fail(_streams[role])
    _streams[role] = found
    return found


def managed_window(seat: Seat, title: str, timeout: float = 30) -> x11.WindowInfo:
    seen: list[x11.WindowInfo] = []

    def managed() -> x11.WindowInfo | None:
        with x11.display_at(seat.tmp.x_socket) as dpy:
            win = x11.find_window(dpy, title)
        if win is not None:
            seen.append(win)
        return win if win is not None and win.managed and win.viewable else None

    try:
        # A short interval: a window is mapped and managed within a frame or two.
        return wait_for(managed, timeout, f"a managed window titled {title!r}", interval=0.1)
    except WaitTimeout:
        found = f"last seen {asdict(seen[-1])}" if seen else "no such window in the tree"
        pytest.fail(
            f"expected a window titled {title!r}, mapped and managed by the window manager, "
            f"within {timeout:.0f}s; found {found}"
        )


def colour_close(found: tuple[int, int, int], wanted: tuple[int, int, int], tolerance: int) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(found, wanted, strict=True))


def screen_shows(
    seat: Seat,
    win: x11.WindowInfo,
    spots: list[tuple[int, int]],
    colours: tuple[tuple[int, int, int], ...],
    evidence: str,
    tolerance: int = 2,
    timeout: float = 20,
) -> list[tuple[int, int, int]]:
    """Raise ``win``, then read the screen until every spot shows its colour or the time is
    up; returns what the spots showed last. The screen that matched is saved as evidence."""
    last: list[tuple[int, int, int]] = []

    def shows() -> bool:
        with x11.display_at(seat.tmp.x_socket) as dpy:
            x11.activate(dpy, win.window_id)
            image = x11.screenshot(dpy)
        last[:] = [x11.colour_at(image, x, y) for x, y in spots]
        if all(colour_close(f, w, tolerance) for f, w in zip(last, colours, strict=True)):
            image.save(seat.config.run_dir / evidence)
            return True
        return False

    # A compositor paints the root a frame or more later: poll for a bounded time.
    with contextlib.suppress(WaitTimeout):
        wait_for(shows, timeout, "the colours on screen", interval=0.1)
    return last
