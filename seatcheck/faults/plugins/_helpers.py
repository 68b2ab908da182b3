"""Small helpers shared by the fault plugins."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

from seatcheck.engine import execs
from seatcheck.parts.base import tar


def seat_exec(container: Any, script: str, user: str = "root") -> None:
    result = execs.shell(container, script, user=user, timeout=20)
    if not result.ok:
        raise RuntimeError(f"fault injection failed: {result.describe()}")


def in_shell_as_seat_user(seat: Any, container: Any, script: str) -> None:
    """``script`` run in the shell app as the seat user, with ``$TOKEN`` the API token of
    the run's bound-in config (read there, as a user's script would)."""
    where = seat.secrets.get().mount_point(seat.config.seat_user)
    seat_exec(
        container, f"TOKEN=$(sed -n 's/^api_token = //p' {where}/api.conf); {script}",
        user=seat.config.seat_user,
    )  # fmt: skip


def image_with(
    client: Any, image: str, files: list[Any] | None = None, changes: list[str] | None = None
) -> str:
    """``image`` with ``files`` (FileEntry) put in and Dockerfile ``changes`` applied, as a
    user's image built on it would carry them: a container created, never started (so the
    commit keeps the image's own command and entrypoint), committed and removed. For the VM,
    whose engine builds no images. Returns the new image's id."""
    layer = client.containers.create(image)
    try:
        if files:
            layer.put_archive("/", tar(files))
        return str(layer.commit(changes=changes).id)
    finally:
        layer.remove(force=True)


def fault_node() -> str:
    return os.environ["SEATCHECK_FAULT_NODE"]


def start_x_grabber(seat: Any, grab: str) -> None:
    """A client of its own in the vlc container (the app to be frozen) takes an X grab with
    libX11 (``grab``: a call on ``x``, the display ``d`` and its root window ``r``) and
    keeps it; returns once it holds it."""
    script = (
        "import ctypes, time; x = ctypes.CDLL('libX11.so.6'); x.XOpenDisplay.restype = "
        "ctypes.c_void_p; x.XDefaultRootWindow.restype = ctypes.c_ulong; "
        "d = ctypes.c_void_p(x.XOpenDisplay(b':0')); r = ctypes.c_ulong(x.XDefaultRootWindow(d)); "
        f"status = {grab}; x.XSync(d, 0); "
        "open('/tmp/seatcheck-grabbed', 'w').write(str(status)); time.sleep(600)"
    )
    seat_exec(
        seat.app("vlc"),
        f'(DISPLAY=:0 timeout 600 python3 -c "{script}" >/dev/null 2>&1 &); '
        "for i in $(seq 50); do [ -s /tmp/seatcheck-grabbed ] && exit 0; sleep 0.1; done; exit 1",
        user=seat.config.seat_user,
    )


def stop_x_grabber(seat: Any) -> None:
    seat_exec(seat.app("vlc"), "pkill -f 'XGrab[A-Z]' || true; rm -f /tmp/seatcheck-grabbed")


def grab_while_frozen(check: str, grab: str) -> tuple[Any, Any]:
    """A plugin's two hooks: the grab taken just before ``check`` freezes vlc, and let go
    after the check's own teardown has unfrozen it (the grab ends with its process)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(fixturedef: Any, request: Any) -> Generator[None, Any, Any]:
        if fixturedef.argname == "frozen" and request.node.name == check:
            start_x_grabber(request.getfixturevalue("seat"), grab)
        return (yield)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(item: Any) -> None:
        if item.name == check:
            stop_x_grabber(item.funcargs["seat"])

    return pytest_fixture_setup, pytest_runtest_teardown


# A TCP-to-unix-socket bridge (what socat TCP-LISTEN:PORT,fork UNIX-CONNECT:PATH does), in
# python3: the shell image has it.
BRIDGE = """
import socket, sys, threading
port, path = int(sys.argv[1]), sys.argv[2]
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", port))
server.listen(4)
def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    finally:
        a.close(); b.close()
while True:
    peer, _ = server.accept()
    inner = socket.socket(socket.AF_UNIX)
    inner.connect(path)
    for a, b in ((peer, inner), (inner, peer)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
"""


def bridge_to_tcp(seat: Any, container: Any, port: int, path: str) -> None:
    """The seat user's bridge from TCP ``port`` (every address) to the unix socket ``path``
    in ``container``, left running."""
    container.exec_run(
        ["timeout", "900", "python3", "-c", BRIDGE, str(port), path],
        user=seat.config.seat_user, detach=True,
    )  # fmt: skip
