"""A site's X configuration, bound into gnome, turns glamor off (``Disable "glamoregl"``, a
common cure for tearing): Xorg still drives the card, with no GL-accelerated 2D."""

import tempfile
from pathlib import Path
from typing import Any

CONF = 'Section "Module"\n    Disable "glamoregl"\nEndSection\n'


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "gnome":
        conf = Path(tempfile.mkdtemp(prefix="seatcheck-fault-")) / "20-no-glamor.conf"
        conf.write_text(CONF)
        kwargs.setdefault("volumes", {})[str(conf)] = {
            "bind": "/etc/X11/xorg.conf.d/20-no-glamor.conf", "mode": "ro",
        }  # fmt: skip
