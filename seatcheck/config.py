"""A run's configuration: one typed object built from pytest options or the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .engine.labels import SQUID_CACHE_VOLUME, new_run_id
from .errors import UsageError
from .profile import Profile, project_root

_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class BaseSource:
    """Where the base image comes from: debootstrap (default), a rootfs tarball, or a name."""

    tarball: Path | None = None
    sha256: str = ""
    image: str = ""  # a plain FROM, where a registry is reachable or the image is local
    suite: str = "bookworm"
    mirror: str = "http://deb.debian.org/debian"

    def __post_init__(self) -> None:
        if self.tarball and not re.fullmatch(r"[0-9a-fA-F]{64}", self.sha256):
            raise UsageError(
                f"base tarball {self.tarball} needs the SHA-256 it must match (64 hex digits)"
            )
        if self.sha256 and not self.tarball:
            raise UsageError("a base SHA-256 was given without a base tarball")


@dataclass(frozen=True)
class SeatConfig:
    profile: Profile
    run_id: str = field(default_factory=new_run_id)
    image_overrides: dict[str, str] = field(default_factory=dict)
    seat_user: str = "seat"
    seat_uid: int = 1000
    base: BaseSource = field(default_factory=BaseSource)
    reports_dir: Path = Path("reports")
    # A named common_tmp volume kept across runs (as the recipe's common_tmp container is);
    # "" gives each run a fresh one.
    tmp_volume: str = ""
    dockerfiles: Path = field(default_factory=lambda: project_root() / "dockerfiles")
    # The package cache's volume, kept across runs (the cache benchmark uses one of its own).
    squid_volume: str = SQUID_CACHE_VOLUME
    # Role images are tagged <tag_prefix>/<role>:latest.
    tag_prefix: str = "seatcheck"
    # The requirement families the run's checks judge (their markers), for an aborted run's
    # record: what it would have judged.
    families: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _USER_RE.match(self.seat_user):
            raise UsageError(f"seat user {self.seat_user!r} is not a valid user name")
        if not 1000 <= self.seat_uid < 60000:
            raise UsageError(f"seat uid {self.seat_uid} is outside 1000..59999")

    @property
    def run_dir(self) -> Path:
        return self.reports_dir / self.run_id
