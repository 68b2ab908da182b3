"""What the check modules share: which containers a check runs in."""

from __future__ import annotations

from collections.abc import Callable

from docker.models.containers import Container

from seatcheck import roles
from seatcheck.topology import Seat

# Containers a seat user works in: the gnome container and every app container.
SEAT_ROLES = (roles.GNOME, *roles.APP_ROLES)
Record = Callable[[str, object], None]


def container_of(seat: Seat, role: str) -> Container:
    return seat.gnome() if role == roles.GNOME else seat.app(role)
