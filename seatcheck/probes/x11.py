"""X11 probes from the host, through the X socket in the shared /tmp volume.

python-xlib only connects to ``/tmp/.X11-unix/X<n>`` (or the abstract socket, or TCP); the
seat's socket lives in the common_tmp volume's mountpoint instead. ``display_at`` opens the
connection itself and hands the socket to python-xlib through its one connection seam
(``Xlib.support.unix_connect.get_socket``), so no host path is touched and the socket
carries a deadline.
"""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from Xlib import X, Xatom, display, error
from Xlib.support import unix_connect

from ..errors import ProbeError

_seam_lock = threading.Lock()


# An X11 connection setup, little-endian, protocol 11.0, no authorisation (X11 protocol, ch. 8).
SETUP_REQUEST = b"l\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def answer_time(socket_path: Path, timeout: float) -> float:
    """Seconds the X server took to answer a connection setup (with any status: success,
    failure or a request to authenticate); raises TimeoutError where it gave none within
    ``timeout`` (a server grabbed by a frozen client answers nobody)."""
    started = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        sock.sendall(SETUP_REQUEST)
        try:
            first = sock.recv(8)
        except TimeoutError:
            raise TimeoutError(
                f"the X server at {socket_path} gave no answer to a connection setup within "
                f"{timeout:.0f}s"
            ) from None
    if not first:
        raise ConnectionError(f"the X server at {socket_path} closed the connection at setup")
    return time.monotonic() - started


@contextmanager
def display_at(socket_path: Path, timeout: float = 10.0) -> Iterator[display.Display]:
    """An Xlib Display connected to the X server listening at ``socket_path``.

    python-xlib waits for replies in ``select`` with no timeout, so a socket timeout alone
    would not end a wait on a server that answers nobody: the server must first answer a
    connection setup of our own within ``timeout``."""
    answer_time(socket_path, timeout)
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
    client_machine: str = ""  # WM_CLIENT_MACHINE: the host name of the client that made it


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
                        client_machine=str(
                            win.get_full_text_property(dpy.intern_atom("WM_CLIENT_MACHINE")) or ""
                        ),
                    )
                )
        except error.XError:  # windows come and go while we walk
            continue
        stack.extend(children)
    return found


def find_window(dpy: display.Display, token: str) -> WindowInfo | None:
    """The window whose title carries ``token`` (apps may add to it: "T - VLC media player")."""
    return next((w for w in window_tree(dpy) if token in w.title), None)


def activate(dpy: display.Display, window_id: int) -> None:
    """Ask the window manager to raise and focus a client window (EWMH _NET_ACTIVE_WINDOW,
    source "pager", which focus-stealing prevention lets through): so that its pixels are
    the ones on top when the screen is read."""
    from Xlib.protocol import event

    root = dpy.screen().root
    message = event.ClientMessage(
        window=dpy.create_resource_object("window", window_id),
        client_type=dpy.intern_atom("_NET_ACTIVE_WINDOW"),
        data=(32, [2, X.CurrentTime, 0, 0, 0]),
    )
    mask = X.SubstructureRedirectMask | X.SubstructureNotifyMask
    root.send_event(message, event_mask=mask)
    dpy.sync()


def colour_at(image: Image.Image, x: int, y: int, size: int = 16) -> tuple[int, int, int]:
    """The most common colour in a square around (x, y)."""
    half = size // 2
    patch = image.crop((x - half, y - half, x + half, y + half))
    colours: list[tuple[int, Any]] = patch.getcolors(maxcolors=size * size) or [(0, (0, 0, 0))]
    colour = max(colours, key=lambda pair: pair[0])[1]
    return (int(colour[0]), int(colour[1]), int(colour[2]))


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
        raise ProbeError(f"unexpected root depth {raw.depth}")
    return Image.frombytes("RGB", (width, height), raw.data, "raw", "BGRX")


@dataclass(frozen=True)
class SocketStat:
    """/tmp/.X11-unix and its X<n> socket as one process sees them (its own mount namespace)."""

    dir_owner: int
    dir_mode: str  # octal, e.g. "1777"
    socket_is_socket: bool
    device: int  # st_dev of the socket: the filesystem it lives on
    inode: int


def socket_stat(tmp: Path, display_number: int = 0) -> SocketStat:
    """``tmp`` is a container's /tmp as its process sees it (``/proc/<pid>/root/tmp``), or the
    volume's mountpoint on the host."""
    try:
        d = os.stat(tmp / ".X11-unix")
        s = os.stat(tmp / ".X11-unix" / f"X{display_number}", follow_symlinks=False)
    except OSError as exc:
        raise ProbeError(f"cannot stat the X socket under {tmp}: {exc.strerror}") from None
    return SocketStat(
        dir_owner=d.st_uid,
        dir_mode=f"{stat.S_IMODE(d.st_mode):o}",
        socket_is_socket=stat.S_ISSOCK(s.st_mode),
        device=s.st_dev,
        inode=s.st_ino,
    )


def patch_colour(image: Image.Image, win: WindowInfo, size: int = 40) -> tuple[int, int, int]:
    """The most common colour in a square at the centre of a window's on-screen area."""
    return colour_at(image, win.x + win.width // 2, win.y + win.height // 2, size)


def grabs_held(dpy: display.Display) -> list[str]:
    """The grabs another client holds on the pointer and the keyboard, found by asking for
    each ourselves (AlreadyGrabbed, or GrabFrozen) and letting go at once."""
    root = dpy.screen().root
    held = []
    pointer = root.grab_pointer(
        False, X.ButtonPressMask, X.GrabModeAsync, X.GrabModeAsync, X.NONE, X.NONE,
        X.CurrentTime,
    )  # fmt: skip
    if pointer == X.GrabSuccess:
        dpy.ungrab_pointer(X.CurrentTime)
    else:
        held.append(f"pointer ({_GRAB_STATUS.get(pointer, pointer)})")
    keyboard = root.grab_keyboard(False, X.GrabModeAsync, X.GrabModeAsync, X.CurrentTime)
    if keyboard == X.GrabSuccess:
        dpy.ungrab_keyboard(X.CurrentTime)
    else:
        held.append(f"keyboard ({_GRAB_STATUS.get(keyboard, keyboard)})")
    dpy.sync()
    return held


_GRAB_STATUS = {X.AlreadyGrabbed: "already grabbed", X.GrabFrozen: "frozen by a grab",
                X.GrabInvalidTime: "invalid time", X.GrabNotViewable: "not viewable"}  # fmt: skip


def type_keys(dpy: display.Display, text: str) -> None:
    """``text`` (letters, digits) and Return typed through XTEST, as a keyboard would type
    them: the server delivers them to the focus, or to whoever grabbed the keyboard."""
    from Xlib import XK
    from Xlib.ext import xtest

    for char in [*text, "Return"]:
        code = dpy.keysym_to_keycode(XK.string_to_keysym(char))
        if not code:
            raise ProbeError(f"no keycode for {char!r} on this X server")
        xtest.fake_input(dpy, X.KeyPress, code)
        xtest.fake_input(dpy, X.KeyRelease, code)
    dpy.sync()
