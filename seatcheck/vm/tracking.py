"""What a VM run starts outside the engine (qemu, the helper engine that fills the disk) is
recorded here with its owner, so that teardown, the watchdog and ``seatcheck reap`` end it
like a labelled container: a record whose owner process is gone is a dead run's."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

from .. import cache
from ..engine.labels import owner, owner_alive


def records_dir() -> Path:
    return cache.state_dir() / "vm" / "running"


def record(session: str, pid: int) -> None:
    records_dir().mkdir(parents=True, exist_ok=True)
    (records_dir() / f"{session}.json").write_text(json.dumps({"pid": pid, "owner": owner()}))


def forget(session: str) -> None:
    (records_dir() / f"{session}.json").unlink(missing_ok=True)


def end(session: str) -> bool:
    """Kill the recorded process group of ``session``: True if one was still there."""
    path = records_dir() / f"{session}.json"
    if not path.exists():
        return False
    pid = int(json.loads(path.read_text())["pid"])
    killed = False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
        killed = True
    path.unlink(missing_ok=True)
    return killed


def dead_sessions() -> list[str]:
    """Recorded sessions whose owner process on this host is gone."""
    found = []
    for path in sorted(records_dir().glob("*.json")) if records_dir().is_dir() else []:
        with contextlib.suppress(OSError, ValueError, KeyError):
            if owner_alive(json.loads(path.read_text())["owner"]) is False:
                found.append(path.stem)
    return found
