"""Where a run's seconds go: each phase (an image, a container from create to ready, a check,
teardown) with its start and length, as evidence in results.json and the report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Phase:
    name: str
    kind: str  # "image", "container", "check", "teardown", "harness"
    start_s: float  # seconds after the run began
    seconds: float
    ok: bool = True
    family: str = ""  # a check's requirement family (its marker)


class Timeline:
    def __init__(self) -> None:
        self.began = time.time()
        self.phases: list[Phase] = []

    @contextmanager
    def phase(self, name: str, kind: str) -> Iterator[None]:
        start = time.time()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.add(name, kind, start, time.time(), ok)

    def add(
        self, name: str, kind: str, start: float, stop: float, ok: bool = True, family: str = ""
    ) -> None:
        """A phase measured elsewhere (pytest's own start and stop of a check, say)."""
        began, seconds = round(max(0.0, start - self.began), 3), round(stop - start, 3)
        self.phases.append(Phase(name, kind, began, seconds, ok, family))

    def total(self) -> float:
        return round(max((p.start_s + p.seconds for p in self.phases), default=0.0), 3)

    def as_list(self) -> list[dict[str, object]]:
        return [asdict(p) for p in self.phases]
