"""Small helpers shared by the fault plugins."""

from __future__ import annotations

import os
from typing import Any

from seatcheck import execs


def seat_exec(container: Any, script: str, user: str = "root") -> None:
    result = execs.shell(container, script, user=user, timeout=20)
    if not result.ok:
        raise RuntimeError(f"fault injection failed: {result.describe()}")


def fault_node() -> str:
    return os.environ["SEATCHECK_FAULT_NODE"]
