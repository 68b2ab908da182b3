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


def find_window(dpy: display.Display, title: str) -> WindowInfo | None:
    return next((w for w in window_tree(dpy) if w.title == title), None)


def screenshot(dpy: display.Display) -> Image.Image:
    """The root window's pixels, as the X server holds them."""
    screen = dpy.screen()
    width, height = screen.width_in_pixels, screen.height_in_pixels
    raw = screen.root.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF)
    if raw.depth not in (24, 32):
        raise ValueError(f"unexpected root depth {raw.depth}")
    return Image.frombytes("RGB", (width, height), raw.data, "raw", "BGRX")
