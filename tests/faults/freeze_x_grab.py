"""The app to be frozen holds an X server grab when it is frozen (a client of its own in the
vlc container calls XGrabServer): frozen with it, it blocks every other client."""

from collections.abc import Generator
from typing import Any

import pytest

from faults._helpers import seat_exec

GRABBER = (
    "import ctypes, time; x = ctypes.CDLL('libX11.so.6'); x.XOpenDisplay.restype = "
    "ctypes.c_void_p; d = ctypes.c_void_p(x.XOpenDisplay(b':0')); x.XGrabServer(d); "
    "x.XSync(d, 0); open('/tmp/seatcheck-grabbed', 'w').close(); time.sleep(600)"
)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Generator[None, Any, Any]:
    if fixturedef.argname == "frozen" and request.node.name == "test_freeze_others_go_on":
        seat = request.getfixturevalue("seat")
        vlc = seat.app("vlc")
        user = seat.config.seat_user
        seat_exec(vlc, f"(DISPLAY=:0 timeout 600 python3 -c \"{GRABBER}\" >/dev/null 2>&1 &); "
                       "for i in $(seq 50); do [ -e /tmp/seatcheck-grabbed ] && exit 0; "
                       "sleep 0.1; done; exit 1", user=user)  # fmt: skip
    return (yield)


@pytest.hookimpl(trylast=True)  # after the check's own teardown has unfrozen vlc
def pytest_runtest_teardown(item: Any) -> None:
    if item.name == "test_freeze_others_go_on":  # the grab ends with its process
        seat = item.funcargs["seat"]
        seat_exec(seat.app("vlc"), "pkill -f 'XGrab[S]erver' || true; rm -f /tmp/seatcheck-grabbed")
