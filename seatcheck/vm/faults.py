"""Fault runs inside the VM: after the healthy run, the same boot stands up a seat per fault
(a fault plugin from tests/faults changes real state), limited to the checks the fault
concerns, and the host sees each fail its check with its message while the others pass."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VmFault:
    name: str
    plugin: str  # a module under tests/faults
    select: str  # pytest -k: the checks the fault concerns (and their neighbours)
    failing: tuple[str, ...]  # test names (without the file) that must fail
    message: str  # a regex the first failing check's message must match
    tolerate: tuple[str, ...] = ()  # other checks that may fail with it, and why below
    why: str = ""


FAULTS = (
    VmFault(
        "xorg-killed", "vm_xorg_killed", "test_teardown",
        failing=("test_teardown_console_as_before",),
        message=r"expected the stopped seat to leave the console as before the run .* found "
        r".*tty\d+: KD_GRAPHICS",
        tolerate=("test_teardown_common_tmp_has_no_stale_servers",),
        why="a killed X server leaves its lock and socket in common_tmp",
    ),
    VmFault(
        "card-node-regrouped", "vm_card_regrouped", "test_gids_device_nodes_match",
        failing=("test_gids_device_nodes_match[gnome]",),
        message=r"expected /dev/snd/controlC0 in gnome to have the host's GID \d+ \(audio\); "
        r"found 4243",
    ),
    VmFault(
        "pulse-null-sink", "vm_pulse_null_sink", "test_pulse_tone_reaches_the_sound_card",
        failing=("test_pulse_tone_reaches_the_sound_card",),
        message=r"expected the card tone on a sound card's sink \(device.api alsa\); found "
        r"seatcheck_fault_null",
    ),
)  # fmt: skip


def judge(fault: VmFault, results_file: Path) -> list[str]:
    """What is wrong with a fault run (nothing: it failed as it must)."""
    if not results_file.exists():
        return [f"{fault.name}: no results came back from the VM"]
    results = json.loads(results_file.read_text())["results"]
    by_name = {str(r["test"]).split("::", 1)[-1]: r for r in results}
    problems = []
    for name in fault.failing:
        found = by_name.get(name)
        if found is None or found.get("outcome") not in ("failed", "error"):
            outcome = found.get("outcome") if found else "not run"
            problems.append(f"{fault.name}: expected {name} to fail; found it {outcome}")
        elif (
            not re.search(fault.message, str(found.get("message", ""))) and name == fault.failing[0]
        ):
            problems.append(
                f"{fault.name}: expected {name}'s message to match {fault.message!r}; found "
                f"{str(found.get('message'))[:300]!r}"
            )
    for name, entry in by_name.items():
        if name in fault.failing or any(name.startswith(t) for t in fault.tolerate):
            continue
        if entry.get("outcome") in ("failed", "error"):
            problems.append(
                f"{fault.name}: expected {name} to pass beside the fault; found "
                f"{str(entry.get('message'))[:200]!r}"
            )
    return problems
