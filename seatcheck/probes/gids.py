"""Group ids on the host and in containers: the seat's groups and the device nodes' owners.

In-container facts come through testinfra's host (``getent``, ``id``, ``stat`` in the
container), one command for all the names or nodes asked about: an exec costs a second or
more under emulation (testinfra's ``Group``, ``User`` and ``File``, a command per fact, took
8 to 32 s a check in the VM)."""

from __future__ import annotations

import grp
import os
import shlex
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
    # getent exits 2 when a name is missing: the ones it has are still listed.
    listed = host.run(shlex.join(["getent", "group", *names]))
    if listed.rc not in (0, 2):
        raise ProbeError(f"cannot read groups in {container.name}: {listed.stderr.strip()}")
    found: dict[str, int | None] = dict.fromkeys(names)
    for line in listed.stdout.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] in found and fields[2].isdigit():
            found[fields[0]] = int(fields[2])
    return found


def user_gids(container: Container, user: str) -> set[int]:
    host = infra.host_of(container)
    answer = host.run(shlex.join(["id", "-G", user]))
    if answer.rc != 0:
        raise ProbeError(f"no user {user!r} in {container.name}: {answer.stderr.strip()}")
    try:
        return {int(gid) for gid in answer.stdout.split()}
    except ValueError:
        raise ProbeError(f"id -G {user} in {container.name} said {answer.stdout!r}") from None


@dataclass(frozen=True)
class NodeGroup:
    path: str
    host_gid: int
    host_group: str
    container_gid: int
    container_group: str


def node_groups(container: Container, paths: list[str]) -> list[NodeGroup]:
    """Each device node's group inside the container beside the host's: one ``stat`` for
    every node and one ``getent`` for their groups (an exec each costs a second or more under
    emulation: two per node took 23 to 32 s a role in the VM)."""
    if not paths:
        return []
    host = infra.host_of(container)
    try:
        stat = host.check_output(shlex.join(["stat", "-c", "%g %n", "--", *paths]))
    except AssertionError as exc:
        raise ProbeError(f"cannot stat {', '.join(paths)} in {container.name}: {exc}") from None
    inside = {}
    for line in stat.splitlines():
        gid, _, path = line.partition(" ")
        inside[path] = int(gid)
    missing = [p for p in paths if p not in inside]
    if missing:
        raise ProbeError(f"stat in {container.name} did not answer for {', '.join(missing)}")
    listed = " ".join(str(g) for g in sorted(set(inside.values())))
    names = {}  # getent exits 2 when a GID has no name: the others are still listed
    for line in host.run(f"getent group {listed}").stdout.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            names[int(fields[2])] = fields[0]
    return [
        NodeGroup(
            path, os.stat(path).st_gid, host_group_name(os.stat(path).st_gid), inside[path],
            names.get(inside[path], ""),
        )
        for path in paths
    ]  # fmt: skip
