"""The labels on everything a run starts, and the run identity they carry."""

from __future__ import annotations

import os
import secrets
import socket
import time

SESSION = "seatcheck.session"
ROLE = "seatcheck.role"
OWNER = "seatcheck.owner"
CREATED = "seatcheck.created"
# Volumes that outlive runs by design carry this; teardown and reaping leave them alone.
KEEP = "seatcheck.keep"

# The squid cache outlives runs by design; everything else of a run is removed at teardown.
SQUID_CACHE_VOLUME = "seatcheck-squid-cache"


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def labels(session: str, role: str, keep: bool = False) -> dict[str, str]:
    found = {
        SESSION: session,
        ROLE: role,
        OWNER: owner(),
        CREATED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if keep:
        found[KEEP] = "true"
    return found


def owner() -> str:
    """Who made a resource: this host and process (a dead owner's resources can be reaped)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(value: str) -> bool | None:
    """Whether the owning process still runs; None where it is another host's."""
    host, _, pid = value.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def session_filter(session: str) -> dict[str, str | list[str] | bool]:
    """A Docker SDK filter for everything labelled with this session."""
    return {"label": [f"{SESSION}={session}"]}
