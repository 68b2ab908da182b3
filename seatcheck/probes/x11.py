"""X11 probes from the host, through the X socket in the shared /tmp volume.

python-xlib only connects to ``/tmp/.X11-unix/X<n>`` (or the abstract socket, or TCP); the
seat's socket lives in the common_tmp volume's mountpoint instead. ``display_at`` opens the
connection itself and hands the socket to python-xlib through its one connection seam
(``Xlib.support.unix_connect.get_socket``), so no host path is touched and the socket
carries a deadline.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from Xlib import X, Xatom, display, error
from Xlib.support import unix_connect

_seam_lock = threading.Lock()


@contextmanager
def display_at(socket_path: Path, timeout: float = 10.0) -> Iterator[display.Display]:
    """An Xlib Display connected to the X server listening at ``socket_path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)  # every later read and write on this connection has a deadline
    try:
        sock.connect(str(socket_path))
    except OSError:
        sock.close()
        raise
    number = socket_path.name.lstrip("X") or "0"
    with _seam_lock:
        original = unix_connect.get_socket
        unix_connect.get_socket = lambda *args, **kwargs: sock
        try:
            dpy = display.Display(f":{number}")
        except Exception:
            sock.close()
            raise
        finally:
            unix_connect.get_socket = original
    try:
        yield dpy
    finally:
        dpy.close()


@dataclass(frozen=True)
class WindowManagerInfo:
    name: str  # _NET_WM_NAME of the _NET_SUPPORTING_WM_CHECK window, "" if none
    wm_selection_owned: bool  # someone owns WM_S0 (the screen's window manager selection)


def window_manager(dpy: display.Display) -> WindowManagerInfo:
    root = dpy.screen().root
    owner = dpy.get_selection_owner(dpy.intern_atom("WM_S0"))
    owned = bool(owner) and owner != X.NONE
    prop = root.get_full_property(dpy.intern_atom("_NET_SUPPORTING_WM_CHECK"), Xatom.WINDOW)
    if not prop or not prop.value:
        return WindowManagerInfo("", owned)
    check = dpy.create_resource_object("window", int(prop.value[0]))
    try:
        name = _text(check, dpy, "_NET_WM_NAME")
    except error.XError:
        name = ""
    return WindowManagerInfo(name, owned)


def _text(win: Any, dpy: display.Display, prop: str) -> str:
    value = win.get_full_text_property(dpy.intern_atom(prop), dpy.get_atom("UTF8_STRING"))
    if not value:
        value = win.get_wm_name()
    return str(value or "")


@dataclass(frozen=True)
class WindowInfo:
    window_id: int
    title: str
    wm_class: tuple[str, str] | None
    x: int
    y: int
    width: int
    height: int
    viewable: bool
    managed: bool  # listed in the window manager's _NET_CLIENT_LIST


def _client_list(dpy: display.Display) -> set[int]:
    prop = dpy.screen().root.get_full_property(
        dpy.intern_atom("_NET_CLIENT_LIST"), X.AnyPropertyType
    )
    return {int(w) for w in prop.value} if prop else set()


def window_tree(dpy: display.Display) -> list[WindowInfo]:
    """Every titled window in the display's window tree (depth first from the root)."""
    root = dpy.screen().root
    managed = _client_list(dpy)
    found: list[WindowInfo] = []
    stack = [root]
    while stack:
        win = stack.pop()
        try:
            children = win.query_tree().children
            title = _text(win, dpy, "_NET_WM_NAME") if win != root else ""
            if title:
                geo = win.get_geometry()
                pos = win.translate_coords(root, 0, 0)
                attrs = win.get_attributes()
                found.append(
                    WindowInfo(
                        window_id=int(win.id),
                        title=title,
                        wm_class=win.get_wm_class(),
                        x=-int(pos.x),
                        y=-int(pos.y),
                        width=int(geo.width),
                        height=int(geo.height),
                        viewable=attrs.map_state == X.IsViewable,
                        managed=int(win.id) in managed,
                    )
                )
        except error.XError:  # windows come and go while we walk
            continue
        stack.extend(children)
    return found


def find_window(dpy: display.Display, token: str) -> WindowInfo | None:
    """The window whose title carries ``token`` (apps may add to it: "T - VLC media player")."""
    return next((w for w in window_tree(dpy) if token in w.title), None)


def is_flat(image: Image.Image) -> bool:
    """True for a screen of one colour: nothing painted yet, or blanked."""
    colours = image.getcolors(maxcolors=2)
    return colours is not None and len(colours) == 1


def screenshot(dpy: display.Display) -> Image.Image:
    """The root window's pixels, as the X server holds them."""
    screen = dpy.screen()
    width, height = screen.width_in_pixels, screen.height_in_pixels
    raw = screen.root.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF)
    if raw.depth not in (24, 32):
        raise ValueError(f"unexpected root depth {raw.depth}")
    return Image.frombytes("RGB", (width, height), raw.data, "raw", "BGRX")


@dataclass(frozen=True)
class SocketStat:
    """``stat`` of /tmp/.X11-unix and its X<n> socket, as seen inside one container."""

    dir_owner: int
    dir_mode: str  # octal, e.g. "1777"
    dir_type: str
    socket_type: str
    socket_inode: int


def parse_socket_stat(text: str) -> SocketStat:
    """Two lines of ``stat -c '%u %a %i %F'``: the directory, then the socket."""
    rows = [line.split(" ", 3) for line in text.strip().splitlines()]
    if len(rows) != 2 or any(len(r) != 4 for r in rows):
        raise ValueError(f"unexpected stat output: {text!r}")
    (d_uid, d_mode, _d_ino, d_type), (_s_uid, _s_mode, s_ino, s_type) = rows
    return SocketStat(int(d_uid), d_mode, d_type, s_type, int(s_ino))


def socket_stat(container: Any, display_number: int = 0) -> SocketStat:
    from .. import execs

    result = execs.run(
        container,
        ["stat", "-c", "%u %a %i %F", "/tmp/.X11-unix", f"/tmp/.X11-unix/X{display_number}"],
        timeout=10,
    )
    if not result.ok:
        raise ValueError(f"cannot stat the X socket in {container.name}: {result.describe()}")
    return parse_socket_stat(result.stdout)


def patch_colour(image: Image.Image, win: WindowInfo, size: int = 40) -> tuple[int, int, int]:
    """The most common colour in a square at the centre of a window's on-screen area."""
    cx, cy = win.x + win.width // 2, win.y + win.height // 2
    half = size // 2
    patch = image.crop((cx - half, cy - half, cx + half, cy + half))
    colours: list[tuple[int, Any]] = patch.getcolors(maxcolors=size * size) or [(0, (0, 0, 0))]
    colour = max(colours, key=lambda pair: pair[0])[1]
    return (int(colour[0]), int(colour[1]), int(colour[2]))
