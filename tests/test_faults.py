"""Every requirement check can fail: each fault breaks a healthy seat in exactly one way, and
the check guarding that requirement must fail with a message saying what was expected and what
was found, while the checks of the other requirements still pass.

Each case is a real run of the unchanged virtual suite, broken through an image override
(``--seatcheck-image``), a fault plugin (``-p seatcheck.faults.plugins.<name>``) or a profile
that passes a device node made for the test. The catalogue and the judgement are the
library's (``seatcheck.faults``); this module stands the seats up.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SuiteRun, suite_runner
from docker import DockerClient

from seatcheck.faults import (
    SEAT_SIZE,
    SENTINELS,
    Fault,
    compatible,
    families,
    judge_seat,
    seat_groups,
    shares_a_seat,
)
from seatcheck.faults.catalogue import FAULTS
from seatcheck.images import ImageBuilder

GROUPS = seat_groups(FAULTS)
SEAT_OF = {f.name: "+".join(o.name for o in g) for g in GROUPS for f in g}


def _device_node(mode: int, gid: int, folder: Path) -> tuple[Path, Path]:
    """A copy of the virtual profile that passes one device node made for the test (the
    kernel's null device under a new name, with the mode and group asked for)."""
    node = Path(f"/dev/seatcheck-fault-{secrets.token_hex(3)}")
    os.mknod(node, stat.S_IFCHR | mode, os.makedev(1, 3))
    os.chown(node, 0, gid)
    os.chmod(node, mode)
    text = (ROOT / "suites/virtual/profile.toml").read_text()
    text = text.replace("gpu_devices = []", f'gpu_devices = ["{node}"]')
    profile = folder / "virtual" / "profile.toml"
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text(text)
    return profile, node


def _recipes_copy(target: Path, extra: dict[str, str]) -> Path:
    """The shipped recipes, with lines appended to some roles' Dockerfiles."""
    shutil.copytree(ROOT / "dockerfiles", target)
    for role, lines in extra.items():
        with (target / role / "Dockerfile").open("a") as fh:
            fh.write(f"\n{lines}\n")
    return target


def _untag(client: DockerClient, prefix: str) -> None:
    """Remove the tags a fault's run made (the images the shipped tags share stay)."""
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(prefix + "/"):
                client.images.remove(tag)


@dataclass
class SeatRun:
    """One seat broken by the faults of its group, and the suite's record of it."""

    faults: list[Fault]
    run: SuiteRun


def _break_a_seat(
    faults: list[Fault],
    folder: Path,
    builder: ImageBuilder,
    build_image: Callable[[str, str], str],
    client: DockerClient,
) -> SeatRun:
    """Stand up one seat with every fault of the group applied, and run the suite on it."""
    args: list[str] = []
    env: dict[str, str] = {}
    nodes: list[Path] = []
    cleanup: list[Callable[[], None]] = []
    try:
        for fault in faults:
            if fault.recipes:
                prefix = f"seatcheck-test/{fault.name}"
                recipes = _recipes_copy(folder / "dockerfiles", fault.recipes)
                args += [
                    f"--seatcheck-dockerfiles={recipes}",
                    f"--seatcheck-tag-prefix={prefix}",
                    f"--seatcheck-base-image={builder.base_image()}",
                ]
                cleanup.append(lambda prefix=prefix: _untag(client, prefix))  # type: ignore[misc]
            if fault.own_state:
                env["SEATCHECK_STATE_DIR"] = str(folder / "state")
            for role, lines in fault.images.items():
                shipped = builder.role_image(role)
                tag = build_image(
                    f"seatcheck-test/{fault.name}-{role}:latest", f"FROM {shipped}\n{lines}\n"
                )
                args.append(f"--seatcheck-image={role}={tag}")
            args += fault.plugin_args()
            if fault.node:
                profile, node = _device_node(*fault.node, folder)
                nodes.append(node)
                env["SEATCHECK_FAULT_NODE"] = str(node)
                args.append(f"--seatcheck-profile={profile}")
        judged = sorted({*SENTINELS, *(f for fault in faults for f in families(fault))})
        args += ["-k", " or ".join(f"test_{family}_" for family in judged)]
        run = suite_runner(client, folder / "reports")(*args, env=env)
        return SeatRun(faults, run)
    finally:
        for node in nodes:
            node.unlink(missing_ok=True)
        for step in cleanup:
            step()


@pytest.mark.parametrize("group", GROUPS, ids=[SEAT_OF[g[0].name] for g in GROUPS])
def test_faults_make_their_checks_fail(
    group: list[Fault],
    builder: ImageBuilder,
    build_image: Callable[[str, str], str],
    client: DockerClient,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    """One seat broken by every fault of the group (one alone, or faults of other roles and
    families): each fault's checks fail with its message, and every other check of the
    families that seat ran (its faults' own and the sentinels) passes. Each fault is judged
    on its own; the failure names every fault whose judgement failed."""
    seat = _break_a_seat(group, tmp_path, builder, build_image, client)
    record_property("seat", {"run_id": seat.run.run_id, "faults": [f.name for f in group]})
    assert seat.run.leftovers == [], f"the run left {seat.run.leftovers}"
    results = seat.run.results["results"]
    assert results, f"the run recorded no results:\n{seat.run.output[-3000:]}"
    problems = judge_seat(group, results, SENTINELS)
    assert not problems, "\n".join(problems)


def test_fault_seats_group_distinct_roles_and_families() -> None:
    """The catalogue's grouping: every fault in exactly one seat; faults sharing a seat touch
    different roles and families; those with their own state, recipes or node alone."""
    placed = [f.name for g in GROUPS for f in g]
    assert sorted(placed) == sorted(f.name for f in FAULTS)
    for group in GROUPS:
        assert len(group) <= SEAT_SIZE
        for i, a in enumerate(group):
            assert len(group) == 1 or shares_a_seat(a)
            for b in group[i + 1 :]:
                assert compatible(a, b), (a.name, b.name)
    assert len(GROUPS) < len(FAULTS)
