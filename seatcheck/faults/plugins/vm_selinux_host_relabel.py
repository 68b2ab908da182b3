"""The run relabels a host device node it binds into the seat (what ``:z`` on a bind of
/dev/dri does): the render node becomes container_file_t on the host, for every program of
the machine, not only the seat's."""

import subprocess
from typing import Any


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        subprocess.run(
            ["chcon", "system_u:object_r:container_file_t:s0", "/dev/dri/renderD128"],
            check=True, timeout=20,
        )  # fmt: skip
