"""What a VM run starts outside the engine (qemu and the host's Xvfb beside it, the helper
engine that fills the disk) is recorded here with its owner, so that teardown, the watchdog
and ``seatcheck reap`` end it like a labelled container: a record whose owner process is gone
is a dead run's. A session's record holds each process group it started."""

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


def _record_path(session: str) -> Path:
    return records_dir() / f"{session}.json"


def _recorded_pids(path: Path) -> list[int]:
    data = json.loads(path.read_text())
    # A record written before a session could hold several groups: {"pid": N}.
    return [int(pid) for pid in data.get("pids", [data["pid"]] if "pid" in data else [])]


def record(session: str, pid: int) -> None:
    """Add the process group led by ``pid`` to ``session``'s record."""
    path = _record_path(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    pids = _recorded_pids(path) if path.exists() else []
    path.write_text(json.dumps({"pids": [*pids, pid], "owner": owner()}))


def forget(session: str) -> None:
    _record_path(session).unlink(missing_ok=True)


def end(session: str) -> bool:
    """Kill every recorded process group of ``session``: True if any was still there."""
    path = _record_path(session)
    if not path.exists():
        return False
    killed = False
    for pid in _recorded_pids(path):
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
