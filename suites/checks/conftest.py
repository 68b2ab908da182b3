"""Fixtures the check modules share (a module's own fixtures stay in it)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from seatcheck import roles
from seatcheck.probes import net, proc, pulse
from seatcheck.topology import Seat
from seatcheck.waits import time_scale


@pytest.fixture(scope="session")
def server(seat: Seat) -> Iterator[Any]:
    """A pulse client of gnome's server, as the seat user's cookie lets in (one for the
    run: the pulse, freeze and snapshot checks read their streams through it)."""
    with pulse.connect(seat.pulse.host_socket, seat.pulse_cookie()) as connection:
        seat.facts.pulse.update(pulse.server_facts(connection))
        yield connection


@pytest.fixture(scope="session")
def tcp_listeners(seat: Seat) -> dict[str, list[net.Listener]]:
    """Every TCP listener in each seat container's network namespace and what it answers an
    X11 and a pulse client, asked once for the x11 and pulse checks, every container side by
    side."""
    containers = {roles.GNOME: seat.gnome()} | {
        role: seat.app(role) for role in roles.APP_ROLES if role in seat.config.profile.apps
    }
    deadline = 1.5 * time_scale()  # an X or pulse server answers within milliseconds
    with ThreadPoolExecutor(max_workers=len(containers)) as pool:
        found = {
            role: pool.submit(net.what_listens, proc.pid_of(c), deadline)
            for role, c in containers.items()
        }
        return {role: f.result() for role, f in found.items()}
