"""Fault runs: the type of a fault, which faults may share a seat, and the judgement of a run
broken by them. The catalogue is ``catalogue``; the plugins that break real state are under
``plugins``. ``tests/test_faults.py`` stands the host's fault seats up and ``seatcheck vm``
the VM's; both judge with ``judge`` here.

A fault breaks a healthy seat in exactly one way (an image, a recipe, real state through a
plugin, a device node); the checks it names must fail, the first with a message matching
its pattern ("expected ...; found ..."), and every other check the run judged must pass,
except those the fault is let off, each with why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Faults judged on one seat, at most.
SEAT_SIZE = 3
# Families every host fault seat runs besides its faults' own: they must pass there, so a
# fault that breaks more than its family shows. (The whole suite runs healthy in bin/test.)
SENTINELS = ("glx", "x11", "gids", "teardown")
_FAMILY = re.compile(r"test_([a-z0-9]+)_")
_ROLE = re.compile(r"\[(gnome|chrome|vlc|shell)\]")
# The roles a family's checks drive (a fault of that family may touch them).
FAMILY_ROLES = {
    "vpn": {"chrome"}, "snapshot": {"chrome", "gnome"}, "freeze": {"vlc", "shell"},
    "squid": {"squid", "shell", "gnome"}, "secrets": {"shell"}, "ipc": {"shell"},
}  # fmt: skip
PLUGINS = "seatcheck.faults.plugins"


@dataclass(frozen=True)
class Fault:
    name: str
    failing: tuple[str, ...]  # checks that must fail (substrings of test ids)
    message: str  # regex the first failing check's message must match
    plugin: str = ""  # a module of seatcheck.faults.plugins
    images: dict[str, str] = field(default_factory=dict)  # role -> Dockerfile lines on top
    node: tuple[int, int] | None = None  # (mode, gid) of a device node the profile passes
    tolerate: tuple[str, ...] = ()  # other checks allowed to fail: they need the broken part
    why: str = ""  # why those others depend on it
    # role -> Dockerfile lines appended to a copy of the shipped recipe; the run builds it
    # (its images tagged seatcheck-test/<name>/<role>, the shipped base image under them)
    recipes: dict[str, str] = field(default_factory=dict)
    own_state: bool = False  # the run keeps build records in a state folder of its own
    select: str = ""  # pytest -k for a run of this fault alone (default: its families)
    alone: bool = False  # it breaks what every family needs (X killed): a seat of its own
    # The VM profile it needs ("": any): what it breaks exists only there (virgl's driver)
    profile: str = ""

    @property
    def checks(self) -> tuple[str, ...]:
        """What the fault is judged by: the checks that must fail and those let off."""
        return self.failing + self.tolerate

    def plugin_args(self) -> list[str]:
        return ["-p", f"{PLUGINS}.{self.plugin}"] if self.plugin else []

    def selection(self) -> str:
        return self.select or " or ".join(f"test_{f}_" for f in sorted(families(self)))


def families(fault: Fault) -> set[str]:
    """The requirement families a fault makes fail or is let off (from the checks' names,
    which start with their family: the plugin refuses a check whose name does not)."""
    return {m.group(1) for t in fault.checks for m in [_FAMILY.search(t)] if m}


def roles_touched(fault: Fault) -> set[str]:
    """The roles a fault changes or whose checks it is judged by."""
    found = set(fault.images) | set(fault.recipes)
    found |= {m.group(1) for t in fault.checks for m in _ROLE.finditer(t)}
    for family in families(fault):
        found |= FAMILY_ROLES.get(family, set())
    return found


def shares_a_seat(fault: Fault) -> bool:
    # Its own build state, its own recipes or its own profile (a device node) need a seat
    # of their own.
    return not (fault.recipes or fault.own_state or fault.node or fault.alone)


def role_bound(fault: Fault) -> bool:
    """Every check the fault is judged by is one role's (``test_x[vlc]``)."""
    return all(_ROLE.search(t) for t in fault.checks)


def compatible(a: Fault, b: Fault) -> bool:
    """Two faults may break one seat together when they touch different roles and different
    families (or, in one family, only their own roles' checks), and neither is let off a
    check the other must make fail."""
    if roles_touched(a) & roles_touched(b):
        return False
    if families(a) & families(b) and not (role_bound(a) and role_bound(b)):
        return False
    return not any(t in c for t in a.tolerate for c in b.failing) and not any(
        t in c for t in b.tolerate for c in a.failing
    )


def seat_groups(faults: Iterable[Fault], size: int = SEAT_SIZE) -> list[list[Fault]]:
    """The faults in seats: each joins the first seat it is compatible with (first fit, in
    catalogue order, so the grouping is the same on every run)."""
    groups: list[list[Fault]] = []
    for fault in faults:
        home = next(
            (g for g in groups if shares_a_seat(fault) and len(g) < size
             and all(shares_a_seat(o) and compatible(fault, o) for o in g)),
            None,
        )  # fmt: skip
        if home is None:
            groups.append([fault])
        else:
            home.append(fault)
    return groups


def judge(
    fault: Fault, results: Sequence[dict[str, Any]], excused: Iterable[str] = ()
) -> list[str]:
    """What is wrong with a run broken by ``fault`` (nothing: it failed as it must). The
    checks in ``excused`` are other faults' on the same seat: theirs to judge."""
    if not results:
        return [f"{fault.name}: the run recorded no results"]
    problems = []
    for target in fault.failing:
        found = [r for r in results if target in str(r["test"])]
        outcome = found[-1]["outcome"] if found else "not run"
        if outcome != "failed":
            problems.append(f"{fault.name}: expected {target} to fail; found it {outcome}")
    first = [r for r in results if fault.failing[0] in str(r["test"])]
    message = str(first[-1].get("message", "")) if first else ""
    if first and not (
        re.search(fault.message, message) and "expected" in message and "found" in message
    ):
        problems.append(
            f"{fault.name}: expected {fault.failing[0]}'s message to match {fault.message!r} "
            f'("expected ...; found ..."); found {message[:300]!r}'
        )
    let_off = (*fault.checks, *excused)
    for r in results:
        if r["outcome"] in ("failed", "error") and not any(t in str(r["test"]) for t in let_off):
            problems.append(
                f"{fault.name}: expected {r['test']} to pass beside the fault; found "
                f"{str(r.get('message'))[:300]!r}"
            )
    return problems


def judge_seat(
    faults: Sequence[Fault], results: Sequence[dict[str, Any]], sentinels: Iterable[str] = ()
) -> list[str]:
    """Each fault of one seat judged on its own (the others' checks are theirs), and the
    sentinel families passed there."""
    problems = []
    for fault in faults:
        others = [t for o in faults if o is not fault for t in o.checks]
        problems += judge(fault, results, others)
    passed = {
        m.group(1) for r in results if r["outcome"] == "passed"
        for m in [_FAMILY.search(str(r["test"]).rsplit("::", 1)[-1])] if m
    }  # fmt: skip
    missing = sorted(set(sentinels) - passed)
    if missing:
        problems.append(f"expected the sentinel families {missing} to pass; found {passed}")
    return problems
