"""GIDs: audio, video (and the group of any device node the profile passes) mean the same
numbers on the host and in every image, and every device node the profile passes is usable
through the seat user's groups."""

from __future__ import annotations

import pathlib
from dataclasses import asdict

import pytest
from docker.models.containers import Container

from seatcheck import roles
from seatcheck.probes import gids, glx
from seatcheck.topology import Seat

from .common import SEAT_ROLES, Record, container_of

pytestmark = pytest.mark.family("gids")


def _container(seat: Seat, role: str) -> Container:
    return seat.squid() if role == roles.SQUID else container_of(seat, role)


def _seat_groups(seat: Seat) -> tuple[str, ...]:
    """audio and video, and the groups owning the device nodes the profile passes: a host
    group no node of the seat belongs to is none of the seat's business."""
    nodes = [str(p) for d in seat.config.profile.devices for p in _host_nodes(d)]
    return tuple(sorted({*gids.SEAT_GROUPS, *gids.groups_owning(nodes)}))


def _host_nodes(device: str) -> list[str]:
    path = pathlib.Path(device)
    if path.is_dir():
        return [str(p) for p in path.iterdir() if p.is_char_device() or p.is_block_device()]
    return [device]


@pytest.mark.parametrize("role", roles.SEAT_IMAGE_ROLES)
def test_gids_groups_match_host(seat: Seat, role: str, record_property: Record) -> None:
    """The image's audio and video groups, and the groups owning the device nodes the profile
    passes, read through getent, have the host's GIDs. Not looked at: a node's group with no
    name on the host (the device nodes check compares its number), and the image's /etc/group as
    the engine reads it itself when it starts a process (getent answers through NSS)."""
    wanted = _seat_groups(seat)
    host = gids.host_group_gids(wanted)
    inside = gids.container_group_gids(_container(seat, role), wanted)
    record_property("gids", {"host": host, role: inside})
    assert host, f"expected the host to have the groups {', '.join(wanted)}; found none"
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
    """The seat user, as the container's user database gives it (through getent and id), is in
    the container's audio and video groups. Not looked at: the groups a running program really
    has (no process's own groups are read), and the image's own USER (the seat user alone is
    asked about)."""
    container = container_of(seat, role)
    wanted = gids.container_group_gids(container, gids.SEAT_GROUPS)
    member = gids.user_gids(container, seat.config.seat_user)
    record_property("seat_user_gids", sorted(member))
    missing = {name: gid for name, gid in wanted.items() if gid is None or gid not in member}
    assert not missing, (
        f"expected {seat.config.seat_user} in audio and video in {role}; found groups "
        f"{sorted(member)}, missing {missing}"
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_gids_device_nodes_match(seat: Seat, role: str, record_property: Record) -> None:
    """Each device node the profile passes, as the container sees it, has the host's GID, and
    the seat user is in that group. Not looked at: the nodes' mode bits (the GPU nodes check
    opens the GPU's), and nodes in the container that the profile does not pass."""
    profile = seat.config.profile
    if not profile.devices:
        pytest.skip(f"the {profile.name} profile passes no device nodes (no GPU, no sound card)")
    container = container_of(seat, role)
    listing = glx.expand_nodes(container, profile.devices)
    assert not listing.absent, (
        f"expected every device node the profile passes in {role}; found no "
        f"{', '.join(listing.absent)} there"
    )
    found = listing.nodes
    assert found, f"expected device nodes under {', '.join(profile.devices)} in {role}; found none"
    nodes = gids.node_groups(container, found)
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
