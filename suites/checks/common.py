"""What the check modules share: which containers a check runs in, an app's own pulse
stream, a managed window and what the screen shows. (Fixtures shared by several modules are
in conftest.py.)"""

from __future__ import annotations

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
# A wait for a role's window, or for its colour on the screen, runs its full deadline until
# one of the same kind for the same role has run out with none shown since; later ones then
# wait SHORT_WAIT. The check that waited first failed with the evidence; the seat has shown
# it does not (a fault seat whose window manager managed nothing waited 30 s in each of 11
# checks, 381 s in all, in a clean-clone run of 1524380). Shown once, full deadlines again.
SHORT_WAIT = 5.0
# Once a wait of a kind ran out for one role with none of that kind shown on the seat since
# (nothing of any role's was managed, or showed its colour), another role's wait of that kind
# lasts QUIET_SEAT_WAIT: programs start with the seat, so theirs have had the first wait's
# whole deadline already. A seat that X refuses or whose window manager is frozen waited 30 s
# for each role in turn: 120 s of 199 s of checks in one fault seat of ed836a4's clean clone.
# Healthy seats never run out, and a window shown anywhere ends it.
QUIET_SEAT_WAIT = 10.0


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


_ran_out: dict[int, set[tuple[str, str]]] = {}  # per seat: (kind, role) waits that ran out
_quiet: dict[int, set[str]] = {}  # per seat: kinds with a wait run out and none shown since


def _deadline(seat: Seat, kind: str, role: str, full: float) -> float:
    if (kind, role) in _ran_out.get(id(seat), set()):
        return min(full, SHORT_WAIT)
    if kind in _quiet.get(id(seat), set()):
        return min(full, QUIET_SEAT_WAIT)
    return full


def _outcome(seat: Seat, kind: str, role: str, shown: bool) -> None:
    ran_out, quiet = _ran_out.setdefault(id(seat), set()), _quiet.setdefault(id(seat), set())
    (ran_out.discard if shown else ran_out.add)((kind, role))
    (quiet.discard if shown else quiet.add)(kind)


def _why_short(timeout: float, full: float, what: str) -> str:
    if timeout >= full:
        return ""
    if timeout > SHORT_WAIT:
        return (
            f" (not {full:.0f}s: an earlier wait of another role's ran out, with nothing shown "
            "on the seat since)"
        )
    return f" (not {full:.0f}s: an earlier wait for {what} ran out, with none shown since)"


def managed_window(seat: Seat, title: str, role: str, timeout: float = 30) -> x11.WindowInfo:
    """The window titled ``title``, drawn by a program of ``role``, once it is mapped and
    managed; the check fails when none is within the deadline (SHORT_WAIT where one of the
    role's windows never came before)."""
    seen: list[x11.WindowInfo] = []
    full, timeout = timeout, _deadline(seat, "window", role, timeout)

    def managed() -> x11.WindowInfo | None:
        with x11.display_at(seat.tmp.x_socket) as dpy:
            win = x11.find_window(dpy, title)
        if win is not None:
            seen.append(win)
        return win if win is not None and win.managed and win.viewable else None

    try:
        # A short interval: a window is mapped and managed within a frame or two.
        win = wait_for(managed, timeout, f"a managed window titled {title!r}", interval=0.1)
    except WaitTimeout:
        _outcome(seat, "window", role, shown=False)
        found = f"last seen {asdict(seen[-1])}" if seen else "no such window in the tree"
        pytest.fail(
            f"expected a window titled {title!r}, mapped and managed by the window manager, "
            f"within {timeout:.0f}s{_why_short(timeout, full, f'a window of {role}')}; "
            f"found {found}"
        )
    _outcome(seat, "window", role, shown=True)
    return win


def colour_close(found: tuple[int, int, int], wanted: tuple[int, int, int], tolerance: int) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(found, wanted, strict=True))


def screen_shows(
    seat: Seat,
    win: x11.WindowInfo,
    spots: list[tuple[int, int]],
    colours: tuple[tuple[int, int, int], ...],
    evidence: str,
    role: str,
    tolerance: int = 2,
    timeout: float = 20,
) -> list[tuple[int, int, int]]:
    """Raise ``win`` (drawn by a program of ``role``), then read the screen until every spot
    shows its colour or the time is up (SHORT_WAIT where the role's colours did not show
    before); returns what the spots showed last. The screen that matched is saved as
    evidence."""
    last: list[tuple[int, int, int]] = []
    timeout = _deadline(seat, "screen", role, timeout)

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
    try:
        wait_for(shows, timeout, "the colours on screen", interval=0.1)
    except WaitTimeout:
        _outcome(seat, "screen", role, shown=False)
    else:
        _outcome(seat, "screen", role, shown=True)
    return last
