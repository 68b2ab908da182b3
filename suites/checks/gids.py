"""GIDs: audio, video (and render) mean the same numbers on the host and in every image, and
every device node the profile passes is usable through the seat user's groups."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from docker.models.containers import Container

from seatcheck import roles
from seatcheck.probes import gids, glx
from seatcheck.topology import Seat

from .common import SEAT_ROLES, Record, container_of


def _container(seat: Seat, role: str) -> Container:
    return seat.squid() if role == roles.SQUID else container_of(seat, role)


@pytest.mark.parametrize("role", roles.IMAGE_ROLES)
def test_gids_groups_match_host(seat: Seat, role: str, record_property: Record) -> None:
    host = gids.host_group_gids()
    inside = gids.container_group_gids(_container(seat, role), tuple(host))
    record_property("gids", {"host": host, role: inside})
    differ = {
        name: (gid, inside.get(name)) for name, gid in host.items() if inside.get(name) != gid
    }
    assert not differ, (
        f"expected the {role} image's groups to have the host's GIDs; found "
        + ", ".join(
            f"{name}: host {h}, image {'missing' if i is None else i}"
            for name, (h, i) in differ.items()
        )
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_gids_seat_user_in_audio_and_video(seat: Seat, role: str, record_property: Record) -> None:
    container = container_of(seat, role)
    wanted = gids.container_group_gids(container, ("audio", "video"))
    member = gids.user_gids(container, seat.config.seat_user)
    record_property("seat_user_gids", sorted(member))
    missing = {name: gid for name, gid in wanted.items() if gid not in member}
    assert len(wanted) == 2 and not missing, (
        f"expected {seat.config.seat_user} in audio and video in {role}; found groups "
        f"{sorted(member)}, missing {missing or 'the groups themselves'}"
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_gids_device_nodes_match(seat: Seat, role: str, record_property: Record) -> None:
    profile = seat.config.profile
    if not profile.devices:
        pytest.skip(f"the {profile.name} profile passes no device nodes (no GPU, no sound card)")
    container = container_of(seat, role)
    nodes = gids.node_groups(container, glx.expand_nodes(container, profile.devices))
    member = gids.user_gids(container, seat.config.seat_user)
    record_property("device_nodes", [asdict(n) for n in nodes])
    for node in nodes:
        assert node.container_gid == node.host_gid, (
            f"expected {node.path} in {role} to have the host's GID {node.host_gid} "
            f"({node.host_group or 'no name on the host'}); found {node.container_gid} "
            f"({node.container_group or 'no name inside'})"
        )
        inside_name = node.container_group or "no name inside"
        host_name = node.host_group or "no name"
        assert node.container_gid in member, (
            f"expected GID {node.container_gid} of {node.path} ({inside_name}, {host_name} on "
            f"the host) among {seat.config.seat_user}'s groups in {role}; found {sorted(member)}"
        )
