"""X11: the shared socket (not the abstract one) carries every app's windows and pixels."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from seatcheck import roles
from seatcheck.probes import net, windows, x11
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for

from .common import SEAT_ROLES, Record, container_of

GL_COLOUR = (23, 181, 97)  # an unusual green: no desktop default draws it
X_TCP_PORTS = range(6000, 6064)


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_x11_shared_socket_in_every_container(
    seat: Seat, role: str, record_property: Record
) -> None:
    try:
        found = x11.socket_stat(container_of(seat, role))
    except ValueError as exc:
        pytest.fail(f"expected /tmp/.X11-unix/X0 in {role}; found: {exc}")
    record_property("x11_socket", asdict(found))
    assert (found.dir_owner, found.dir_mode) == (0, "1777"), (
        f"expected /tmp/.X11-unix owned by root with mode 1777 in {role}; found owner "
        f"{found.dir_owner} mode {found.dir_mode}"
    )
    assert found.socket_type == "socket", (
        f"expected /tmp/.X11-unix/X0 to be a socket in {role}; found {found.socket_type}"
    )
    reference = x11.socket_stat(seat.gnome())
    assert found.socket_inode == reference.socket_inode, (
        f"expected X0 in {role} to be the gnome container's socket (inode "
        f"{reference.socket_inode}); found inode {found.socket_inode}"
    )


def test_x11_client_without_network_connects(seat: Seat, record_property: Record) -> None:
    # No network namespace shared with the X server: the abstract socket is out of reach,
    # so only the socket file in the shared /tmp can carry this connection.
    result = seat.oneshot(
        roles.SHELL, ["xdpyinfo"], network_mode="none", user=seat.config.seat_user
    )
    record_property("xdpyinfo", {"exit_code": result.exit_code, "stderr": result.stderr[-500:]})
    assert result.ok and "name of display" in result.stdout, (
        "expected xdpyinfo in a container with no network to reach :0 through "
        f"/tmp/.X11-unix/X0; found {result.describe()}"
    )


def _managed_window(seat: Seat, title: str, timeout: float = 30) -> x11.WindowInfo:
    seen: list[x11.WindowInfo] = []

    def managed() -> x11.WindowInfo | None:
        with x11.display_at(seat.x_socket) as dpy:
            win = x11.find_window(dpy, title)
        if win is not None:
            seen.append(win)
        return win if win is not None and win.managed and win.viewable else None

    try:
        return wait_for(managed, timeout, f"a managed window titled {title!r}", interval=1)
    except WaitTimeout:
        found = f"last seen {asdict(seen[-1])}" if seen else "no such window in the tree"
        pytest.fail(
            f"expected a window titled {title!r}, mapped and managed by the window manager, "
            f"within {timeout:.0f}s; found {found}"
        )


@pytest.mark.parametrize("role", windows.WINDOW_ROLES)
def test_x11_app_window_in_window_tree(seat: Seat, role: str, record_property: Record) -> None:
    container = seat.app(role)
    launch = windows.open_window(container, role, seat.config.seat_user)
    record_property("launch", asdict(launch))
    record_property("image", seat.facts["images"][role])
    win = _managed_window(seat, launch.title)
    record_property("window", asdict(win))


def test_x11_gl_pixels_reach_the_screen(seat: Seat, record_property: Record) -> None:
    container = seat.app(roles.SHELL)
    launch = windows.open_gl_colour_window(container, seat.config.seat_user, GL_COLOUR)
    record_property("launch", asdict(launch))
    win = _managed_window(seat, launch.title)
    record_property("window", asdict(win))
    shots: list[tuple[int, int, int]] = []

    def shows_colour() -> bool:
        with x11.display_at(seat.x_socket) as dpy:
            image = x11.screenshot(dpy)
        colour = x11.patch_colour(image, win)
        shots.append(colour)
        if all(abs(a - b) <= 2 for a, b in zip(colour, GL_COLOUR, strict=True)):
            image.save(seat.config.run_dir / "gl-colour.png")
            return True
        return False

    try:
        # A compositor paints the root a frame or more later: poll for a bounded time.
        wait_for(shows_colour, 20, "the GL colour on screen", interval=0.5)
    except WaitTimeout:
        pytest.fail(
            f"expected the GL window's centre to show RGB{GL_COLOUR} on the screen; found "
            f"RGB{shots[-1] if shots else None} (window at {win.x},{win.y} "
            f"{win.width}x{win.height})"
        )
    record_property("screen_colour", shots[-1])


def test_x11_server_not_on_tcp(seat: Seat, record_property: Record) -> None:
    ports = net.listening_tcp_ports(seat.gnome())
    record_property("listening_tcp_ports", sorted(ports))
    exposed = sorted(p for p in ports if p in X_TCP_PORTS)
    assert not exposed, f"expected the X server not to listen on TCP; found port(s) {exposed}"
