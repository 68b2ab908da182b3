"""A site's X configuration, bound into gnome, sets up the card with acceleration off
(``AccelMethod none``, a common cure for tearing): its Device section comes first, so Xorg
still drives the card with modesetting, with no GL-accelerated 2D."""

import tempfile
from pathlib import Path
from typing import Any

NAME = "05-site-gpu.conf"  # read before the seat's own 10-seatcheck.conf: the first Device wins
CONF = (
    'Section "Device"\n    Identifier "site-gpu"\n    Driver "modesetting"\n'
    '    Option "AccelMethod" "none"\nEndSection\n'
)


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "gnome":
        conf = Path(tempfile.mkdtemp(prefix="seatcheck-fault-")) / NAME
        conf.write_text(CONF)
        kwargs.setdefault("volumes", {})[str(conf)] = {
            "bind": f"/etc/X11/xorg.conf.d/{NAME}", "mode": "ro",
        }  # fmt: skip
