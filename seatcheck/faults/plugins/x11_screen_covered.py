"""An override-redirect window (a stuck lock screen, say) covers the whole screen in black
once the apps start: windows are managed, but their pixels never reach the screen."""

from typing import Any

from Xlib import X

from seatcheck.probes import x11

_keep: list[Any] = []  # the covering window lives as long as its connection


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role != "shell":
        return
    ctx = x11.display_at(seat.tmp.x_socket, timeout=30)
    dpy = ctx.__enter__()
    screen = dpy.screen()
    cover = screen.root.create_window(
        0, 0, screen.width_in_pixels, screen.height_in_pixels, 0, screen.root_depth,
        X.InputOutput, X.CopyFromParent, background_pixel=screen.black_pixel,
        override_redirect=True,
    )  # fmt: skip
    cover.map()
    cover.configure(stack_mode=X.Above)
    dpy.sync()
    _keep.append((ctx, dpy, cover))
