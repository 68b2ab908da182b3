"""A process in the gnome container takes VT 60, puts it in graphics mode with the keyboard
off and dies without cleaning up: what a crashed X server leaves. Teardown must restore it."""

from typing import Any

from ._helpers import seat_exec

VT = "/dev/tty60"
BREAK = (
    f'open(my $t, "+<", "{VT}") or die "open: $!"; ioctl($t, 0x4B3A, 1) or die "KDSETMODE: $!"; '
    'ioctl($t, 0x4B45, 4) or die "KDSKBMODE: $!"; kill 9, $$'
)


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "gnome":
        kwargs["devices"] = [*(kwargs.get("devices") or []), f"{VT}:{VT}:rwm"]


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat_exec(container, f"perl -e '{BREAK}' || true")
