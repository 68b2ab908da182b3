"""A profile's suite, as pytest sees it: the shared checks collected for each profile folder,
each check's requirement family and stage as markers, and the order stages give.

A folder with a ``profile.toml`` is a suite: its checks are the modules ``test_*.py`` of the
shared checks folder (``suites/checks``), collected as they are, once, under the profile's
file. Every check carries ``@pytest.mark.family(NAME)`` (a module's ``pytestmark``), and its
name starts with ``test_NAME_``; a check without one is refused at collection, so that no
family can go missing from the report, the matrix or ``promote``. ``@pytest.mark.stage``
says when a check may run; without one it runs in the first stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from . import profile

CHECKS_DIR = "checks"  # beside the profile folders
# The stages, in the order they run: the checks of one stage may change the seat in a way the
# earlier stages must not see.
STAGES = {
    "seat": "the seat as it stands",
    "tunnel": "chrome's tunnel dropped and brought back (the VPN checks)",
    "freeze": "an app paused while the checks run",
    "teardown": "the seat torn down; what teardown found and did",
}
MARKERS = (
    "family(name): the requirement family a seatcheck check guards (its name starts with "
    "test_<name>_)",
    f"stage(name): when a seatcheck check runs: {', '.join(STAGES)} (default seat)",
)


class ProfileChecks(pytest.File):
    """A profile's ``profile.toml``: collects the shared checks for that profile."""

    def collect(self) -> Iterator[pytest.Collector]:
        folder = self.path.parent.parent / CHECKS_DIR
        if not folder.is_dir():  # a profile of one's own elsewhere: the checkout's checks
            folder = profile.suites_dir() / CHECKS_DIR
        if not any(folder.glob("test_*.py")):
            raise pytest.UsageError(f"no checks (test_*.py) in {folder} for {self.path}")
        # The folder as pytest collects any (a package), so that its conftest.py is loaded.
        checks = self.ihook.pytest_collect_directory(path=folder, parent=self)
        if checks is not None:
            yield checks


def profile_file(item: pytest.Item) -> Path | None:
    """The profile file a check was collected for (None: collected on its own)."""
    for node in item.listchain():
        if isinstance(node, ProfileChecks):
            return node.path
    return None


def family(item: pytest.Item) -> str:
    marker = item.get_closest_marker("family")
    return str(marker.args[0]) if marker and marker.args else ""


def stage(item: pytest.Item) -> str:
    marker = item.get_closest_marker("stage")
    return str(marker.args[0]) if marker and marker.args else "seat"


def refuse_unmarked(items: Iterable[pytest.Item]) -> None:
    """Every check has a family, named by its own name, and a known stage."""
    problems = []
    for item in items:
        name, found = item.name, family(item)
        if not found:
            problems.append(f"{item.nodeid}: no @pytest.mark.family")
        elif not name.startswith(f"test_{found}_"):
            problems.append(f"{item.nodeid}: family {found!r}, but the name lacks test_{found}_")
        if stage(item) not in STAGES:
            problems.append(f"{item.nodeid}: stage {stage(item)!r} is none of {list(STAGES)}")
    if problems:
        raise pytest.UsageError("checks refused: " + "; ".join(problems))


def in_stage_order(items: list[pytest.Item]) -> None:
    """Sort in place by stage (stable: within a stage, the order collected)."""
    order = list(STAGES)
    items.sort(key=lambda item: order.index(stage(item)))
