"""Freeze (the recipe's workflow): one app frozen with the engine's pause (the cgroup freezer),
the rest of the seat goes on: the X server answers, another app draws a new colour that
reaches the screen through GNOME Shell, another app's stream stays audible. Unfrozen, the
frozen app repaints its window and its stream resumes."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import docker.errors
import pytest

from seatcheck import drivers, roles
from seatcheck.engine import execs
from seatcheck.probes import pulse, x11
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, time_scale, wait_for

from .common import (
    AUDIBLE,
    PEAK_WINDOW,
    Present,
    Record,
    app_of,
    app_stream,
    colour_close,
    managed_window,
    screen_shows,
)

pytestmark = [pytest.mark.family("freeze"), pytest.mark.stage("freeze")]

FROZEN = roles.VLC  # frozen: its window and its stream must come back
OTHER = roles.SHELL  # goes on: draws a new colour, keeps its tone
X_ANSWER = 5.0  # seconds the X server may take to answer while an app is frozen
HOLD_S = 3.0  # seconds the resume check keeps the app frozen
# Seconds the frozen app's stream may take to be heard again once unfrozen, over the time it
# was frozen: VLC holds its audio back after a freeze for about as long as it was frozen
# (its log, 20 s after a 90 s freeze: "deferring start (67536113 us)"), its own clock's way.
RESUME_S = 10.0


@dataclass
class Frozen:
    role: str
    paused_s: float = 0.0  # how long the engine took to freeze it
    paused_at: float = 0.0  # time.monotonic() once frozen
    state: str = ""  # the engine's view while frozen
    notes: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def frozen(seat: Seat, presentation: Present, server: Any) -> Iterator[Frozen]:
    """FROZEN paused, with both apps presenting, for one check; unpaused after it whatever
    happens (a check may unpause it itself)."""
    for role in (FROZEN, OTHER):
        presentation(role)
        app_stream(seat, server, presentation, role)
    container = app_of(seat, FROZEN)
    started = time.monotonic()
    try:
        container.pause()
    except docker.errors.APIError as exc:
        pytest.fail(f"expected the engine to pause {FROZEN} (its cgroup freezer); found {exc}")
    found = Frozen(FROZEN, round(time.monotonic() - started, 3), time.monotonic())
    try:
        container.reload()
        found.state = str(container.attrs["State"].get("Status"))
        yield found
    finally:
        container.reload()
        if container.attrs["State"].get("Paused"):
            container.unpause()


def _peaks(seat: Seat, server: Any, presentation: Present, role: str) -> list[float]:
    """The role's own stream on its monitor: up to four readings (more where the seat runs
    slower: under emulation), to the first loud one."""
    stream = app_stream(seat, server, presentation, role)
    return pulse.stream_peaks_at_once(
        seat.pulse.host_socket, seat.pulse_cookie(), {role: stream}, PEAK_WINDOW,
        readings=round(4 * time_scale()), stop_above=AUDIBLE,
    )[role]  # fmt: skip


def _resumed_peaks(
    seat: Seat, server: Any, presentation: Present, role: str, frozen_s: float
) -> tuple[list[float], float]:
    """The role's stream, looked for anew every few readings, read until the first loud
    reading or RESUME_S (scaled) plus ``frozen_s`` after unfreezing; the peaks and the
    seconds it took."""
    deadline = time.monotonic() + RESUME_S * time_scale() + frozen_s
    started = time.monotonic()
    peaks: list[float] = []
    while True:
        stream = app_stream(seat, server, presentation, role, again=True)
        peaks += pulse.stream_peaks_at_once(
            seat.pulse.host_socket, seat.pulse_cookie(), {role: stream}, PEAK_WINDOW,
            readings=4, stop_above=AUDIBLE,
        )[role]  # fmt: skip
        if max(peaks) > AUDIBLE or time.monotonic() > deadline:
            return peaks, round(time.monotonic() - started, 1)


def test_freeze_app_resumes_after_unfreeze(
    seat: Seat, frozen: Frozen, presentation: Present, server: Any, record_property: Record
) -> None:
    """Frozen for HOLD_S, then unfrozen, the app's window shows its colour on the screen again
    and its stream (the app's own, looked for anew by its host name and binary) rises above
    0.5 on its own monitor within RESUME_S over the time it was frozen. It runs first of the
    freeze checks: their longer freezes leave VLC silent for about as long. Not looked at:
    whether that is the stream it had before the freeze (a program may open a new one, and a
    user hears it the same), how long it took (recorded), where its playback and clocks stand
    after the freeze, and a freeze by SIGSTOP (the cgroup freezer only)."""
    container = app_of(seat, FROZEN)
    time.sleep(max(0.0, frozen.paused_at + HOLD_S - time.monotonic()))
    started = time.monotonic()
    frozen_s = round(started - frozen.paused_at, 1)
    container.unpause()
    unpause_s = round(time.monotonic() - started, 3)
    shown_before = presentation(FROZEN)
    win = managed_window(seat, shown_before.title, FROZEN)
    spot = (win.x + win.width // 2, win.y + win.height // 2)
    shown = screen_shows(
        seat, win, [spot], (shown_before.colour,), "freeze-resumed.png", FROZEN, tolerance=3
    )
    repaint_s = round(time.monotonic() - started, 3)
    peaks, audible_s = _resumed_peaks(seat, server, presentation, FROZEN, frozen_s)
    record_property("resume", {
        "frozen_s": frozen_s, "unpause_s": unpause_s, "repaint_s": repaint_s, "stream_peaks": peaks,
        "stream_heard_after_s": audible_s,
    })  # fmt: skip
    assert shown and colour_close(shown[0], shown_before.colour, 3), (
        f"expected {FROZEN}'s window to show RGB{shown_before.colour} again after unfreezing; "
        f"found RGB{shown[0] if shown else None}"
    )
    assert max(peaks) > AUDIBLE, (
        f"expected {FROZEN}'s stream to resume above {AUDIBLE} within "
        f"{RESUME_S * time_scale() + frozen_s:.0f}s of unfreezing after {frozen_s:.0f}s "
        f"frozen; found {max(peaks):.3f} over {len(peaks)} readings ({FROZEN} said: "
        f"{_log_tail(seat, presentation, FROZEN)})"
    )


def test_freeze_others_go_on(
    seat: Seat, frozen: Frozen, presentation: Present, server: Any, record_property: Record
) -> None:
    """With one app frozen by the engine's pause (the engine reports it paused), the X server
    answers a new client within its deadline and lists its windows; the shell app draws a colour
    it never drew before, which GNOME Shell puts on the screen; and the shell app's stream stays
    above 0.5 on its own monitor. Not looked at: a freeze by SIGSTOP (the cgroup freezer only),
    a "not responding" dialog (titles are recorded, not judged), selections the frozen app owns
    (a paste from it waits), and the apps other than the shell app."""
    assert frozen.state == "paused", (
        f"expected the engine to report {FROZEN} paused; found {frozen.state!r}"
    )
    # The X server answers a new client, with a deadline, and lists its windows.
    try:
        answer_s = round(x11.answer_time(seat.tmp.x_socket, X_ANSWER * time_scale()), 3)
    except OSError as exc:
        pytest.fail(
            f"expected the X server to answer within {X_ANSWER:.0f}s while {FROZEN} is frozen; "
            f"found {exc}"
        )
    with x11.display_at(seat.tmp.x_socket, timeout=X_ANSWER * time_scale()) as dpy:
        windows = len(x11.window_tree(dpy))
    # Another app draws a colour it never drew before; GNOME Shell must put it on the screen.
    colour = (secrets.randbelow(64) + 32, secrets.randbelow(64) + 160, secrets.randbelow(64) + 96)
    driver = drivers.driver_for(OTHER, app_of(seat, OTHER), seat.config.seat_user)
    title = f"seatcheck-freeze-{secrets.token_hex(3)}"
    started = time.monotonic()
    driver.start(title, ("seatcheck-gl-colour", title, *map(str, colour)))
    win = managed_window(seat, title, OTHER)
    spot = (win.x + win.width // 2, win.y + win.height // 2)
    shown = screen_shows(seat, win, [spot], (colour,), "freeze-desktop.png", OTHER, tolerance=3)
    draw_s = round(time.monotonic() - started, 3)
    peaks = _peaks(seat, server, presentation, OTHER)  # another app's tone goes on
    with x11.display_at(seat.tmp.x_socket) as dpy:  # what the desktop did: a "not responding"?
        titles = sorted({w.title for w in x11.window_tree(dpy) if w.title})
    record_property("freeze", {
        **asdict(frozen), "x_answer_s": answer_s, "windows": windows, "new_colour": colour,
        "new_colour_on_screen_s": draw_s, "other_stream_peaks": peaks,
        "not_responding_dialog": [t for t in titles if "not responding" in t.lower()],
        "window_titles": titles[:20],
    })  # fmt: skip
    assert shown and colour_close(shown[0], colour, 3), (
        f"expected {OTHER}'s new colour RGB{colour} on the screen while {FROZEN} is frozen; "
        f"found RGB{shown[0] if shown else None} after {draw_s:.1f}s"
    )
    assert max(peaks) > AUDIBLE, (
        f"expected {OTHER}'s stream above {AUDIBLE} while {FROZEN} is frozen; found "
        f"{max(peaks):.3f}"
    )


def test_freeze_input_reaches_other_apps(
    seat: Seat, frozen: Frozen, record_property: Record
) -> None:
    """While one app is frozen, nobody holds the pointer or keyboard (a grab a frozen client
    took is never let go), and keys typed into another app's window (its own terminal,
    through XTEST, the server's real input path) reach that app's program. Not looked at:
    pointer clicks, and input methods."""
    driver = drivers.driver_for(OTHER, app_of(seat, OTHER), seat.config.seat_user)
    title = f"seatcheck-typed-{secrets.token_hex(3)}"
    typed = f"/home/{seat.config.seat_user}/{title}.typed"
    token = f"seatcheck{secrets.token_hex(4)}"
    driver.start(title, ("xterm", "-T", title, "-e", "sh", "-c", f"cat > {typed}"))
    win = managed_window(seat, title, OTHER)
    with x11.display_at(seat.tmp.x_socket, timeout=X_ANSWER * time_scale()) as dpy:
        grabs = x11.grabs_held(dpy)
        x11.activate(dpy, win.window_id)
        wait_for(lambda: _focused(dpy, win.window_id), 5 * time_scale(), f"{title} focused")
        x11.type_keys(dpy, token)
    container = app_of(seat, OTHER)
    try:
        got = wait_for(
            lambda: token in (s := execs.run(container, ["cat", typed], timeout=10).stdout) and s,
            5 * time_scale(), f"the keys in {typed}",
        )  # fmt: skip
    except WaitTimeout:
        got = execs.run(container, ["cat", typed], timeout=10).stdout
    record_property("freeze_input", {"grabs_held": grabs, "typed": token, "received": got})
    assert not grabs, (
        f"expected no pointer or keyboard grab while {FROZEN} is frozen; found " + ", ".join(grabs)
    )
    assert token in str(got), (
        f"expected the keys {token!r} typed into {OTHER}'s window to reach its terminal while "
        f"{FROZEN} is frozen; found {str(got).strip()!r}"
    )


def _focused(dpy: Any, window_id: int) -> bool:
    """Whether the input focus is the window or one of its children (the WM may reparent)."""
    focus = dpy.get_input_focus().focus
    while focus and not isinstance(focus, int) and focus.id != dpy.screen().root.id:
        if focus.id == window_id:
            return True
        focus = focus.query_tree().parent
    return False


def _log_tail(seat: Seat, presentation: Present, role: str) -> str:
    shown = presentation(role)
    driver = drivers.driver_for(role, app_of(seat, role), seat.config.seat_user)
    return driver.log(shown.launches[0].title)[-300:] or "no output"
