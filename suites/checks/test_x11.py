"""X11: the shared socket (not the abstract one) carries every app's windows and pixels."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from seatcheck import drivers, roles
from seatcheck.engine import execs
from seatcheck.probes import net, proc, x11
from seatcheck.topology import Seat

from .common import (
    SEAT_ROLES,
    Present,
    Record,
    app_of,
    colour_close,
    container_of,
    managed_window,
    screen_shows,
)

pytestmark = pytest.mark.family("x11")


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_x11_shared_socket_in_every_container(
    seat: Seat, role: str, record_property: Record
) -> None:
    """Through the container's own mount namespace, /tmp/.X11-unix is root's with mode 1777 and
    its X0 is a socket: the common_tmp volume's own (the same device and inode). Not looked at:
    displays other than :0, and whether a client connects through it (the next check
    connects)."""
    # Seen through the container's own mount namespace, compared with the host's view of
    # the volume: the same (device, inode) is the same socket file, not a look-alike.
    found = x11.socket_stat(proc.root_of(container_of(seat, role)) / "tmp")
    volume = x11.socket_stat(seat.tmp.path)
    record_property("x11_socket", {role: asdict(found), "volume": asdict(volume)})
    assert (found.dir_owner, found.dir_mode) == (0, "1777"), (
        f"expected /tmp/.X11-unix owned by root with mode 1777 in {role}; found owner "
        f"{found.dir_owner} mode {found.dir_mode}"
    )
    assert found.socket_is_socket, f"expected /tmp/.X11-unix/X0 to be a socket in {role}"
    assert (found.device, found.inode) == (volume.device, volume.inode), (
        f"expected X0 in {role} to be the common_tmp volume's socket (device {volume.device}, "
        f"inode {volume.inode}); found device {found.device}, inode {found.inode}"
    )


def test_x11_client_without_network_connects(seat: Seat, record_property: Record) -> None:
    """xdpyinfo, run as the seat user in a short-lived shell container with no network (the
    abstract socket out of reach), reaches :0 through /tmp/.X11-unix/X0. Not looked at: the
    other app images (a shell container only), and a client that draws (xdpyinfo only asks)."""
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


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_x11_app_window_in_window_tree(seat: Seat, role: str, record_property: Record) -> None:
    """The app's own program opens a window: in the tree, mapped, managed, of a size, and
    made by a client on the app container's host name (WM_CLIENT_MACHINE). Not looked at:
    what the window shows (the pixel check does)."""
    container = app_of(seat, role)
    launch = drivers.driver_for(role, container, seat.config.seat_user).open_window()
    record_property("launch", asdict(launch))
    record_property("image", seat.facts.images[role])
    hostname = execs.check(container, ["cat", "/proc/sys/kernel/hostname"]).stdout.strip()
    win = managed_window(seat, launch.title, role)
    record_property("window", asdict(win))
    assert win.viewable and win.managed and win.width > 0 and win.height > 0, (
        f"expected {role}'s window {launch.title!r} mapped, managed and of a size; found "
        f"{asdict(win)}"
    )
    assert hostname and win.client_machine == hostname, (
        f"expected {role}'s window made by a client on the {role} container's host "
        f"({hostname!r}); found WM_CLIENT_MACHINE {win.client_machine!r}"
    )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_x11_app_pixels_reach_the_screen(
    seat: Seat, presentation: Present, role: str, record_property: Record
) -> None:
    """Each app's own program draws its colour (shell: a GL client; chrome: a page through
    its GPU compositor; vlc: a clip through its OpenGL video output). Not looked at: the window
    beyond a patch at its centre, what the card sends to a monitor (the X server's copy is
    read), and the apps as a user starts them (chromium runs on a fresh profile with
    --ignore-gpu-blocklist, VLC with --vout=gl)."""
    shown = presentation(role)
    record_property("presentation", asdict(shown))
    win = managed_window(seat, shown.title, role)
    record_property("window", asdict(win))
    spot = (win.x + win.width // 2, win.y + win.height // 2)
    found = screen_shows(
        seat, win, [spot], (shown.colour,), f"{role}-colour.png", role, tolerance=3
    )
    record_property("screen_colour", found)
    if not (found and colour_close(found[0], shown.colour, 3)):
        # What the program itself said (VLC's -vv log names its video output's troubles).
        driver = drivers.driver_for(role, app_of(seat, role), seat.config.seat_user)
        record_property("program_log_tail", driver.log(shown.launches[0].title))
    assert found and colour_close(found[0], shown.colour, 3), (
        f"expected {role}'s window centre to show RGB{shown.colour} on the screen; found "
        f"RGB{found[0] if found else None} (window at {win.x},{win.y} {win.width}x{win.height})"
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_x11_server_not_on_tcp(
    seat: Seat, tcp_listeners: dict[str, list[net.Listener]], role: str, record_property: Record
) -> None:
    """Every TCP listener in the container's own network namespace (an app may run an X
    server, or a bridge to one, on any port) is sent an X11 connection setup from inside
    that namespace; none may answer as an X server. Not looked at: UDP, other remote-desktop
    protocols (VNC, RDP), and X reached through another container's abstract socket (the x11
    socket checks judge that)."""
    container_of(seat, role)  # skips where the profile has no such app
    listeners = tcp_listeners[role]
    record_property("listening_tcp", {str(x): x.x11 for x in listeners})
    exposed = [x for x in listeners if x.x11]
    assert not exposed, (
        f"expected no X server answering on TCP in {role}'s network namespace; found "
        + "; ".join(f"{x}: {x.x11}" for x in exposed)
    )
