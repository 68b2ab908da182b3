"""Group ids on the host and in containers: the seat's groups and the device nodes' owners.

In-container facts come through testinfra's ``Group``, ``User`` and ``File`` modules."""

from __future__ import annotations

import grp
import os
from dataclasses import dataclass

from docker.models.containers import Container

from .. import infra
from ..errors import ProbeError

SEAT_GROUPS = ("audio", "video")  # every seat needs these, devices or not


def host_group_gids(names: tuple[str, ...] = SEAT_GROUPS) -> dict[str, int]:
    """The host's numeric GID of each named group it has."""
    found = {}
    for name in names:
        try:
            found[name] = grp.getgrnam(name).gr_gid
        except KeyError:
            continue
    return found


def host_group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return ""


def groups_owning(paths: list[str]) -> tuple[str, ...]:
    """The host's names of the groups that own these device nodes (unnamed GIDs left out)."""
    return tuple(sorted({n for n in (host_group_name(os.stat(p).st_gid) for p in paths) if n}))


def container_group_gids(container: Container, names: tuple[str, ...]) -> dict[str, int | None]:
    """Each named group's GID inside the container; None where the image lacks the group."""
    host = infra.host_of(container)
    found: dict[str, int | None] = {}
    try:
        for name in names:
            group = host.group(name)
            found[name] = group.gid if group.exists else None
    except AssertionError as exc:  # testinfra's check_output on a failing command
        raise ProbeError(f"cannot read groups in {container.name}: {exc}") from None
    return found


def user_gids(container: Container, user: str) -> set[int]:
    host = infra.host_of(container)
    try:
        if not host.user(user).exists:
            raise ProbeError(f"no user {user!r} in {container.name}")
        return set(host.user(user).gids)
    except AssertionError as exc:
        raise ProbeError(f"cannot read {user}'s groups in {container.name}: {exc}") from None


@dataclass(frozen=True)
class NodeGroup:
    path: str
    host_gid: int
    host_group: str
    container_gid: int
    container_group: str


def node_groups(container: Container, paths: list[str]) -> list[NodeGroup]:
    """Each device node's group inside the container beside the host's (``File.gid``)."""
    host = infra.host_of(container)
    nodes = []
    for path in paths:
        try:
            gid = host.file(path).gid
            named = host.check_output("getent group %s | cut -d: -f1 || true", str(gid))
        except AssertionError as exc:
            raise ProbeError(f"cannot stat {path} in {container.name}: {exc}") from None
        host_gid = os.stat(path).st_gid
        nodes.append(NodeGroup(path, host_gid, host_group_name(host_gid), gid, named.strip()))
    return nodes
