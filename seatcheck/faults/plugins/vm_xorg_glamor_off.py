"""A gnome image that carries a site's X configuration setting the card up with acceleration
off (``AccelMethod none``, a common cure for tearing): its Device section comes first, so Xorg
still drives the card with modesetting, with no GL-accelerated 2D. The VM builds no images, so
the image is the seat's gnome image with the file committed into it, in the VM's engine."""

from typing import Any

from seatcheck.parts.base import FileEntry

from ._helpers import image_with

NAME = "etc/X11/xorg.conf.d/05-site-gpu.conf"  # before the seat's 10-seatcheck.conf
CONF = (
    'Section "Device"\n    Identifier "site-gpu"\n    Driver "modesetting"\n'
    '    Option "AccelMethod" "none"\nEndSection\n'
)


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "gnome":
        files = [FileEntry(NAME, CONF.encode())]
        kwargs["image"] = image_with(seat.client, kwargs["image"], files=files)
