"""Device passing with the vendors' real device numbers (226 DRM, 116 ALSA, 195 NVIDIA) and
unusual GIDs, in real containers. The nodes are made with mknod and have no driver here (open
gives ENXIO): their GIDs and modes must arrive as the host has them, and the probe must tell a
user refused by permissions from a node with no device behind it."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker import DockerClient

from seatcheck.engine.labels import labels
from seatcheck.probes import gids, glx

# (name, major, minor, gid): the vendors' majors, GIDs no distribution gives these groups
NODES = (
    ("dri/card7", 226, 7, 4711),
    ("dri/renderD135", 226, 135, 4712),
    ("snd/controlC7", 116, 7, 4713),
    ("nvidia7", 195, 7, 4714),
    ("nvidiactl", 195, 255, 4714),
)
USER = 4242


@pytest.fixture
def nodes() -> Iterator[list[str]]:
    root = Path(f"/dev/seatcheck-hw-{secrets.token_hex(3)}")
    made = []
    try:
        for name, major, minor, gid in NODES:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            os.mknod(path, stat.S_IFCHR | 0o660, os.makedev(major, minor))
            os.chown(path, 0, gid)
            os.chmod(path, 0o660)  # mknod's mode passes through the umask
            made.append(str(path))
        yield made
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_vendor_nodes_keep_gids_and_tell_permission_from_no_device(
    client: DockerClient, base_image: str, nodes: list[str]
) -> None:
    session = f"test-nodes-{secrets.token_hex(3)}"
    container = client.containers.run(
        base_image, ["sleep", "300"], detach=True, labels=labels(session, "nodes"),
        devices=[f"{n}:{n}:rwm" for n in nodes],
        group_add=[str(gid) for *_, gid in NODES[:3]],  # not the NVIDIA group
    )  # fmt: skip
    try:
        found = gids.node_groups(container, nodes)
        assert [(n.path, n.container_gid) for n in found] == [
            (n, gid) for n, (*_, gid) in zip(nodes, NODES, strict=True)
        ]
        inside = container.exec_run(["stat", "-c", "%t:%T %a", *nodes]).output.decode().split("\n")
        assert inside[:5] == ["e2:7 660", "e2:87 660", "74:7 660", "c3:7 660", "c3:ff 660"]
        access = glx.open_read_write(container, f"{USER}", nodes)
        verdicts = {a.path: a.verdict for a in access}
        member = [n for n, (*_, gid) in zip(nodes, NODES, strict=True) if gid != 4714]
        outsider = [n for n in nodes if n not in member]
        # In its groups the user passes the permissions and meets no driver; outside, refused.
        assert {verdicts[n] for n in member} == {"no device"}, verdicts
        assert {verdicts[n] for n in outsider} == {"permission denied"}, verdicts
    finally:
        container.remove(force=True)
