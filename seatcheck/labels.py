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

# The squid cache outlives runs by design; everything else of a run is removed at teardown.
SQUID_CACHE_VOLUME = "seatcheck-squid-cache"


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def labels(session: str, role: str) -> dict[str, str]:
    return {
        SESSION: session,
        ROLE: role,
        OWNER: f"{socket.gethostname()}:{os.getpid()}",
        CREATED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def session_filter(session: str) -> dict[str, str | list[str] | bool]:
    """A Docker SDK filter for everything labelled with this session."""
    return {"label": [f"{SESSION}={session}"]}
