"""What a dead seat leaves in the shared /tmp: X locks, X sockets, pulse runtime dirs."""

from __future__ import annotations

from pathlib import Path


def stale_entries(tmp: Path) -> list[str]:
    """Leftovers of servers that are no longer running (call it with no server running)."""
    found = []
    for lock in sorted(tmp.glob(".X*-lock")):
        pid = lock.read_text(errors="replace").strip() if lock.is_file() else "?"
        found.append(f"/tmp/{lock.name} (X server pid {pid or '?'}, not running)")
    for sock in sorted((tmp / ".X11-unix").glob("X*")):
        found.append(f"/tmp/.X11-unix/{sock.name} (socket of a stopped X server)")
    for runtime in sorted(tmp.glob("pulse-*")):
        left = [p.name for p in (runtime / "native", runtime / "pid") if p.exists()]
        if left:
            found.append(f"/tmp/{runtime.name} ({' and '.join(left)} of a stopped pulse server)")
    return found
