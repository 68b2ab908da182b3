"""The first end-to-end checks: GNOME Shell runs, app windows reach it, the screen is captured.

Shared by every profile: each profile's folder imports these and supplies its profile.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from docker.models.containers import Container

from seatcheck import roles
from seatcheck.probes import windows, x11
from seatcheck.reports import SCREENSHOT
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for


def test_desktop_gnome_shell_owns_the_screen(
    seat: Seat, gnome: Container, record_property: Callable[[str, object], None]
) -> None:
    with x11.display_at(seat.x_socket) as dpy:
        wm = x11.window_manager(dpy)
    record_property("window_manager", asdict(wm))
    assert wm.wm_selection_owned, "expected the WM_S0 selection to be owned; found no owner"
    assert wm.name == "GNOME Shell", f"expected window manager 'GNOME Shell'; found {wm.name!r}"


@pytest.mark.parametrize("role", [roles.SHELL, roles.CHROME])
def test_desktop_app_window_appears(
    seat: Seat,
    app_container: Callable[[str], Container],
    role: str,
    record_property: Callable[[str, object], None],
) -> None:
    container = app_container(role)
    launch = windows.open_window(container, role, seat.config.seat_user)
    record_property("launch", asdict(launch))
    record_property("image", seat.facts["images"][role])

    seen: list[x11.WindowInfo] = []

    def managed() -> x11.WindowInfo | None:
        with x11.display_at(seat.x_socket) as dpy:
            win = x11.find_window(dpy, launch.title)
        if win is not None:
            seen.append(win)
        return win if win is not None and win.managed and win.viewable else None

    try:
        win = wait_for(managed, 60, f"a managed window titled {launch.title!r}", interval=1)
    except WaitTimeout:
        log = container.exec_run(["cat", f"/tmp/{launch.title}.log"]).output.decode()[-800:]
        found = f"last seen {asdict(seen[-1])}" if seen else "no such window in the tree"
        pytest.fail(
            f"expected a window titled {launch.title!r} from the {role} container, mapped and "
            f"managed by GNOME Shell, within 60s; found {found}. Program output:\n{log}"
        )
    record_property("window", asdict(win))


def test_desktop_screenshot_saved(
    seat: Seat, gnome: Container, run_dir: Path, record_property: Callable[[str, object], None]
) -> None:
    with x11.display_at(seat.x_socket) as dpy:
        image = x11.screenshot(dpy)
    path = run_dir / SCREENSHOT
    image.save(path)
    record_property("screenshot", str(path))
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 1, "expected a drawn desktop; found one flat colour"
