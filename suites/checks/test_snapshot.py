"""Snapshots (the recipe's workflow): the running chrome container, with state written in it,
committed to an image; a container started from it has that state, starts chromium on the
carried profile and joins the seat like the original. The running gnome container committed
too (a seat stood up on that image must pass the suite: tests/test_snapshots.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from docker.models.containers import Container
from docker.models.images import Image

from seatcheck import roles
from seatcheck.drivers import Presentation
from seatcheck.drivers.chrome import ChromeDriver
from seatcheck.engine import execs
from seatcheck.parts import snapshot as snapshots
from seatcheck.probes import ipc, pulse
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for

from .common import (
    AUDIBLE,
    PEAK_WINDOW,
    Present,
    Record,
    app_of,
    colour_close,
    managed_window,
    screen_shows,
)

pytestmark = pytest.mark.family("snapshot")

STATE_FILE = "seatcheck-state"  # in the seat user's home
SNAPSHOT = "snapshot"  # the snapshot's container, for the waits on its window and colour
# What a live session leaves where a commit would take it: X's lock and socket, the pulse
# server's socket, the session's runtime dir, the system bus (mount points such as a bound
# /run/udev are not the session's).
LIVE_SESSION = (".X0-lock", ".X11-unix/X", "pulse/native", "/run/user/", "system_bus_socket")


@dataclass
class ChromeSnapshot:
    image: Image
    container: Container
    token: str  # written in the live container before the commit
    profile: str  # the live chromium's profile, carried in the snapshot
    shown: Presentation | None  # chromium started in the snapshot, on that profile
    problem: str = ""  # why it could not be started


def _keep(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("seatcheck_keep_snapshots"))


@pytest.fixture(scope="module")
def chrome_snapshot(
    seat: Seat, presentation: Present, request: pytest.FixtureRequest
) -> Iterator[ChromeSnapshot]:
    live = presentation(roles.CHROME)
    chrome = app_of(seat, roles.CHROME)
    user = seat.config.seat_user
    profile = ChromeDriver(chrome, user).profile_dir(live.title)
    token = secrets.token_hex(12)
    execs.check(chrome, ["sh", "-c", f"echo {token} > $HOME/{STATE_FILE}"], user=user)
    # chromium writes its profile's Preferences soon after it starts: that is what is carried
    wait_for(
        lambda: execs.run(chrome, ["test", "-s", f"{profile}/Default/Preferences"]).ok,
        30, f"chromium's Preferences in {profile}",
    )  # fmt: skip
    image = snapshots.commit(seat, chrome, roles.CHROME, keep=_keep(request))
    container = snapshots.start_from(seat, roles.CHROME, image)
    colour = (160 + secrets.randbelow(60), 40 + secrets.randbelow(40), 120 + secrets.randbelow(60))
    shown = ChromeDriver(container, user).present(colour=colour, profile=profile)
    yield ChromeSnapshot(image, container, token, profile, shown)


def test_snapshot_chrome_carries_its_state(
    seat: Seat, chrome_snapshot: ChromeSnapshot, record_property: Record
) -> None:
    """The state written in the live chrome container and chromium's profile are in the
    snapshot image itself: read in a container of it with no volume (the original's shared
    /tmp absent), no network and no device. Not looked at: state outside the seat user's
    home and the profile."""
    snap = chrome_snapshot
    user = seat.config.seat_user
    # One container of the image for both reads: the state file's line, then the size of
    # chromium's Preferences (each read's failure named on its own line).
    alone = snapshots.read_alone(
        seat, roles.CHROME, snap.image,
        f"cat /home/{user}/{STATE_FILE} || echo 'no state file'; "
        f"stat -L -c %s {snap.profile}/Default/Preferences 2>&1 || true",
    )  # fmt: skip
    lines = alone.stdout.strip().splitlines() + ["", ""]
    state = execs.ExecResult(alone.command, 0 if lines[0] == snap.token else 1, lines[0], "")
    prefs = execs.ExecResult(
        alone.command, 0 if lines[1].isdigit() else 1, lines[1], alone.stderr.strip()
    )
    record_property("snapshot", {
        "image": snap.image.id, "tags": snap.image.tags, "size": snap.image.attrs.get("Size"),
        "state_file": state.stdout.strip(), "profile": snap.profile,
        "preferences_bytes": prefs.stdout.strip(),
    })  # fmt: skip
    assert state.ok and state.stdout.strip() == snap.token, (
        f"expected the snapshot to hold ~/{STATE_FILE} = {snap.token} written in the live chrome "
        f"container; found {state.stdout.strip() or state.describe()}"
    )
    assert prefs.ok, (
        f"expected the snapshot to carry chromium's profile {snap.profile}; found "
        f"{prefs.describe()}"
    )


def test_snapshot_chrome_starts_chromium_on_the_carried_profile(
    seat: Seat, chrome_snapshot: ChromeSnapshot, record_property: Record
) -> None:
    """chromium, started in the snapshot's container on the profile carried in it, shows its
    window, drawn by a client on the snapshot's host (not handed to the original chromium
    through the profile's lock), with its colour on the screen. Not looked at: chromium's
    default profile (~/.config/chromium; the carried one is under ~/.cache), what the profile
    holds beyond letting chromium start, and the image's ENTRYPOINT and CMD (the container runs
    sleep infinity; chromium is started through docker exec)."""

    snap = chrome_snapshot
    assert snap.shown is not None
    driver = ChromeDriver(snap.container, seat.config.seat_user)
    try:
        win = managed_window(seat, snap.shown.title, SNAPSHOT)
    except pytest.fail.Exception:
        said = driver.log(snap.shown.title)
        pytest.fail(
            f"expected chromium started from the snapshot on the carried profile to show its "
            f"window {snap.shown.title!r}; found none (chromium said: {said[-300:] or 'nothing'})"
        )
    snap.container.reload()
    host = str(snap.container.attrs["Config"]["Hostname"])
    record_property("snapshot_window", {"title": snap.shown.title, "client": win.client_machine,
                                        "snapshot_host": host})  # fmt: skip
    # A chromium that finds its profile locked hands its page to the one holding the lock
    # (through the socket in the shared /tmp): then the original container draws the window.
    assert win.client_machine == host, (
        f"expected the window {snap.shown.title!r} drawn by chromium in the snapshot (host "
        f"{host}); found it drawn by host {win.client_machine or 'unknown'} (chromium there "
        f"said: {driver.log(snap.shown.title)[-200:] or 'nothing'})"
    )
    spot = (win.x + win.width // 2, win.y + win.height // 2)
    found = screen_shows(
        seat, win, [spot], (snap.shown.colour,), "snapshot-chrome.png", SNAPSHOT, 3
    )
    record_property("snapshot_screen", found)
    assert found and colour_close(found[0], snap.shown.colour, 3), (
        f"expected the snapshot's chromium window to show RGB{snap.shown.colour} on the screen; "
        f"found RGB{found[0] if found else None}"
    )


def test_snapshot_chrome_joins_the_seat(
    seat: Seat, chrome_snapshot: ChromeSnapshot, server: Any, record_property: Record
) -> None:
    """The snapshot's container is in the X server's IPC namespace, and its chromium's tone
    (found by the snapshot's host name) is a stream of the gnome server above 0.5 on its own
    monitor. Not looked at: its GL renderer, groups and labels (the suite's other checks run on
    the original container, not on the snapshot's)."""
    snap = chrome_snapshot
    shown = snap.shown
    assert shown is not None
    x_ipc = ipc.x_server(seat.gnome()).namespace
    own_ipc = ipc.ipc_facts(snap.container).namespace
    snap.container.reload()
    host = str(snap.container.attrs["Config"]["Hostname"])
    try:
        stream = wait_for(
            lambda: pulse.find_app_stream(server, host, shown.stream_binary),
            30, "the snapshot's chromium stream",
        )  # fmt: skip
    except WaitTimeout:
        stream = None
    peaks = (
        pulse.stream_peaks_at_once(
            seat.pulse.host_socket, seat.pulse_cookie(), {"snapshot": stream}, PEAK_WINDOW,
            readings=4, stop_above=AUDIBLE,
        )["snapshot"]
        if stream is not None
        else []
    )  # fmt: skip
    record_property("snapshot_joins", {"ipc": own_ipc, "x_server_ipc": x_ipc, "host": host,
                                       "stream_peaks": peaks})  # fmt: skip
    assert own_ipc == x_ipc, (
        f"expected the snapshot's container in the X server's IPC namespace {x_ipc}; found "
        f"{own_ipc}"
    )
    assert stream is not None and max(peaks) > AUDIBLE, (
        f"expected the snapshot's chromium tone (host {host}) on the gnome server above "
        f"{AUDIBLE}; found " + (f"peaks {peaks}" if stream is not None else "no stream")
    )


def test_snapshot_gnome_holds_no_live_session(
    seat: Seat, request: pytest.FixtureRequest, record_property: Record
) -> None:
    """The running gnome container committed: what the commit adds over the gnome image
    (``docker diff``) holds nothing of the live session: no X lock or socket, no pulse
    runtime (they live in the shared /tmp volume and /run's tmpfs, which a commit leaves
    out). Whether a seat on it passes the suite is tests/test_snapshots.py's run. Not looked at:
    whatever else the diff holds (logs, caches, settings written at run time): only paths naming
    those markers are judged."""
    gnome = seat.gnome()
    image = snapshots.commit(seat, gnome, roles.GNOME, keep=_keep(request))
    changes = [c["Path"] for c in gnome.diff() or []]
    live = [p for p in changes if any(m in p for m in LIVE_SESSION)]
    record_property("gnome_snapshot", {"image": image.id, "changes": len(changes),
                                       "changed_paths": changes[:40]})  # fmt: skip
    assert not live, (
        f"expected the gnome snapshot to carry nothing of the live session; found {live[:5]}"
    )
