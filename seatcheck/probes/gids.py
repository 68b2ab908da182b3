"""Group ids on the host and in containers: the audio/video/render groups and device nodes."""

from __future__ import annotations

import grp
import os
from dataclasses import dataclass

from docker.models.containers import Container

from .. import execs

SEAT_GROUPS = ("audio", "video", "render")


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


def parse_getent(text: str) -> dict[str, int]:
    """``getent group`` lines -> {name: gid}."""
    found = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].isdigit():
            found[parts[0]] = int(parts[2])
    return found


def container_group_gids(container: Container, names: tuple[str, ...]) -> dict[str, int]:
    result = execs.run(container, ["getent", "group", *names], timeout=10)
    return parse_getent(result.stdout)


def container_group_names(container: Container, gids: list[int]) -> dict[int, str]:
    if not gids:
        return {}
    result = execs.run(container, ["getent", "group", *map(str, gids)], timeout=10)
    return {gid: name for name, gid in parse_getent(result.stdout).items()}


def user_gids(container: Container, user: str) -> set[int]:
    result = execs.run(container, ["id", "-G", user], timeout=10)
    if not result.ok:
        raise ValueError(f"no user {user!r} in {container.name}: {result.describe()}")
    return {int(g) for g in result.stdout.split()}


@dataclass(frozen=True)
class NodeGroup:
    path: str
    host_gid: int
    host_group: str
    container_gid: int
    container_group: str


def node_groups(container: Container, paths: list[str]) -> list[NodeGroup]:
    if not paths:
        return []
    result = execs.run(container, ["stat", "-c", "%n %g", *paths], timeout=10)
    inside: dict[str, int] = {}
    for line in result.stdout.splitlines():
        name, _, field = line.rpartition(" ")
        inside[name] = int(field)
    names = container_group_names(container, sorted(set(inside.values())))
    nodes = []
    for path in paths:
        host_gid = os.stat(path).st_gid
        gid = inside.get(path, -1)
        nodes.append(NodeGroup(path, host_gid, host_group_name(host_gid), gid, names.get(gid, "")))
    return nodes
