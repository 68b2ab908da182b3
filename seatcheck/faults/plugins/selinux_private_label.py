"""The shared /tmp volume carries a private (":Z"-style, MCS categories) label."""

import os
from typing import Any

PRIVATE = b"system_u:object_r:container_file_t:s0:c12,c34\x00"


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        os.setxattr(seat.tmp.path, "security.selinux", PRIVATE)
