"""What the check modules share: which containers a check runs in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from docker.models.containers import Container

from seatcheck import roles
from seatcheck.drivers import Presentation
from seatcheck.topology import Seat

# Containers a seat user works in: the gnome container and every app container.
SEAT_ROLES = (roles.GNOME, *roles.APP_ROLES)
Record = Callable[[str, object], None]
Present = Callable[[str], Presentation]  # the presentation fixture: role -> what it shows


def container_of(seat: Seat, role: str) -> Container:
    return seat.gnome() if role == roles.GNOME else app_of(seat, role)


def app_of(seat: Seat, role: str) -> Container:
    """The role's running app container; the check skips where the profile has no such app."""
    if role not in seat.config.profile.apps:
        pytest.skip(f"the {seat.config.profile.name} profile has no {role} app")
    return seat.app(role)
