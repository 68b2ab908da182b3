"""What stands guard over a seat: a watchdog that reaps the session should this run die
(started before the first resource), and the console as it was before any container that may
touch it (saved, so that the watchdog and ``seatcheck restore-console`` can put it back)."""

from __future__ import annotations

import threading

from .. import console, reaper
from ..config import SeatConfig
from ..facts import RunFacts
from ..timeline import Timeline


class SeatGuard:
    def __init__(self, config: SeatConfig, timeline: Timeline, facts: RunFacts) -> None:
        self.config = config
        self.timeline = timeline
        self.facts = facts
        self.console_before: console.ConsoleSnapshot | None = None
        self.getty_before: str | None = None
        self._watchdog: reaper.Watchdog | None = None
        self._lock = threading.Lock()  # apps are created from several threads at once

    def watch(self) -> None:
        """Before the first resource: a watchdog that reaps the session if this run dies."""
        if self._watchdog is None:
            log = self.config.run_dir / "reaper.log"
            with self.timeline.phase("watchdog start", "harness"):
                self._watchdog = reaper.start_watchdog(
                    self.config.run_id, log, self.config.profile.name, self.config.families
                )
            self.facts.watchdog_pid = self._watchdog.pid

    def done(self) -> None:
        if self._watchdog is not None:
            self._watchdog.done()

    def snapshot_console(self, devices: list[str]) -> None:
        """Read the console before a container given ``devices`` starts (the first one: every
        allocated VT, and getty), and save it for whoever restores it."""
        with self._lock:
            vts = console.vts_of_devices([d.split(":", 1)[0] for d in devices])
            if self.console_before is not None and vts <= set(self.console_before.vts):
                return
            if self.console_before is None:
                vts |= console.allocated_vts()
                self.getty_before = console.getty_state()
                self.facts.getty_before = self.getty_before
            known = set(self.console_before.vts) if self.console_before else set()
            self.console_before = console.snapshot(vts | known)
            console.save(self.config.run_id, self.console_before)
            self.facts.console_before = {
                "active": self.console_before.active,
                "vts": [v.describe() for v in self.console_before.vts.values()],
            }
