"""What a run finds out about its seat and its machine (facts.json): one field each, written by
the part that finds it out; a plugin's own notes go in ``extra``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunFacts:
    run_id: str
    profile: str
    privilege: str  # the privilege plan, as granted on this host
    images: dict[str, dict[str, str]] = field(default_factory=dict)  # role: ref and id
    families: list[str] = field(default_factory=list)  # the families the run's checks judge
    # the seat's shared resources
    watchdog_pid: int | None = None
    getty_before: str | None = None
    console_before: dict[str, Any] | None = None
    common_tmp_cleared: list[str] | None = None  # what a dead seat had left there
    nvidia_user_space: dict[str, Any] | None = None
    capabilities_unknown_to_engine: list[str] | None = None
    # the containers
    squid: dict[str, Any] = field(default_factory=dict)
    selinux: dict[str, Any] = field(default_factory=dict)
    display: dict[str, Any] = field(default_factory=dict)
    pulse: dict[str, Any] = field(default_factory=dict)
    gnome_shell_restarts: int | str | None = None
    x_server: str = "unknown"
    mesa: str = "unknown"
    # once the checks are done
    host: dict[str, Any] = field(default_factory=dict)
    package_cache: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, object]] = field(default_factory=list)
    machine_recording: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # a plugin's own notes

    def as_dict(self) -> dict[str, Any]:
        """facts.json's shape: the fields that were found, and the plugins' notes beside them."""
        found = {k: v for k, v in asdict(self).items() if k != "extra" and v is not None}
        return {**found, **self.extra}
