"""Routing builds and run-time installs through the package cache, and what each build got
from it.

Builds reach squid by its address on the seat network (build containers join that network);
the gnome and app containers reach it by the recipe's name, ``rpmcache``. Every image build
that seatcheck makes leaves a record in the state folder: how many files apt fetched, and what
squid's access log says about them (requests, hits, bytes from the cache).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from docker.models.containers import Container

from .probes import squid as squid_probe
from .probes.squid import CacheStats

RPMCACHE = "rpmcache"
PORT = 3128
RUNTIME_PROXY = f"http://{RPMCACHE}:{PORT}"
APT_PROXY_CONF = "etc/apt/apt.conf.d/01seatcheck-proxy"
# apt prints one line per index or package it fetches (or checks unchanged) from a mirror.
_APT_FETCH_RE = re.compile(r"^(?:Get|Hit):\d+ (?:http|https|ftp)://", re.MULTILINE)
# ... and, when done, how long the fetching took: "Fetched 280 MB in 1min 3s (4430 kB/s)".
_APT_FETCHED_RE = re.compile(r"^Fetched \S+ [kMG]?B in (?:(\d+)h )?(?:(\d+)min )?(\d+)s", re.M)


def state_dir() -> Path:
    """Where seatcheck keeps what outlives a run on this host."""
    return Path(os.environ.get("SEATCHECK_STATE_DIR", "/var/lib/seatcheck"))


def builds_dir() -> Path:
    return state_dir() / "builds"


@dataclass(frozen=True)
class BuildProxy:
    """How a build reaches the cache: the network its steps run on and the proxy URL."""

    network: str
    url: str  # http://<squid's address on that network>:3128

    def build_args(self) -> dict[str, str]:
        # Docker's predefined proxy arguments: they reach every RUN step's environment, stay
        # out of the image's history and do not break the layer cache when the address moves.
        return {"http_proxy": self.url, "HTTP_PROXY": self.url}

    def environment(self) -> dict[str, str]:
        return {"http_proxy": self.url}


class CacheAccess(Protocol):
    """What an image builder needs of the package cache."""

    def proxy(self) -> BuildProxy | None: ...

    def mark(self) -> int: ...

    def stats_since(self, mark: int) -> CacheStats: ...


class SquidAccess:
    """The seat's running squid, as the image builder uses it."""

    def __init__(
        self, squid: Container, network: str, address: str,
        not_builds: Callable[[], set[str]] = set,
    ) -> None:  # fmt: skip
        self.squid = squid
        self._proxy = BuildProxy(network=network, url=f"http://{address}:{PORT}")
        self.not_builds = not_builds  # addresses whose requests are not a build's

    def proxy(self) -> BuildProxy | None:
        return self._proxy

    def mark(self) -> int:
        return squid_probe.log_mark(self.squid)

    def stats_since(self, mark: int) -> CacheStats:
        others = self.not_builds()
        entries = squid_probe.entries_since(self.squid, mark)
        return squid_probe.summarize(e for e in entries if e.client not in others)


def apt_proxy_conf(url: str = RUNTIME_PROXY) -> bytes:
    """apt's setting for run-time installs: it holds under sudo too, where the environment's
    http_proxy does not survive (as the recipe's ``proxy=`` line in dnf.conf)."""
    return f'Acquire::http::Proxy "{url}";\n'.encode()


def apt_fetches(build_output: str) -> int:
    """How many files apt fetched (or checked) from a mirror, as a build's output says."""
    return len(_APT_FETCH_RE.findall(build_output))


def apt_fetch_seconds(build_output: str) -> int:
    """The time apt says it spent fetching, summed over its runs in a build's output."""
    total = 0
    for h, m, sec in _APT_FETCHED_RE.findall(build_output):
        total += int(h or 0) * 3600 + int(m or 0) * 60 + int(sec)
    return total


@dataclass
class BuildRecord:
    """One image build and what the package cache did for it."""

    role: str
    tag: str
    image_id: str
    started: str  # UTC, ISO 8601
    seconds: float
    proxy: str | None  # the proxy URL the build was given; None: it went to the mirrors direct
    apt_fetches: int  # files apt fetched, from the build's output
    cache: dict[str, Any] = field(default_factory=dict)  # CacheStats.as_dict() of its window
    run_id: str = ""
    apt_fetch_seconds: int = 0  # how long apt says its fetching took
    # Whether a cache was running to go through: not so for the base and squid's own image
    # on a first set-up, which come before the cache.
    cache_running: bool = False

    @property
    def requests(self) -> int:
        return int(self.cache.get("requests", 0))

    @property
    def hit_ratio(self) -> float | None:
        ratio = self.cache.get("hit_ratio")
        return float(ratio) if ratio is not None else None

    def bypassed_cache(self) -> bool:
        """apt fetched files, but none of them through the cache."""
        return self.apt_fetches > 0 and self.requests == 0

    def describe(self) -> str:
        when = f"{self.role} ({self.tag}) built {self.started} in {self.seconds:.0f}s"
        if self.proxy is None:
            return f"{when}, not through the cache: {self.apt_fetches} apt fetches direct"
        ratio = self.hit_ratio
        return (
            f"{when} through {self.proxy}: {self.apt_fetches} apt fetches, "
            f"{self.requests} requests at the cache, hit ratio "
            + (f"{100 * ratio:.0f} %" if ratio is not None else "n/a")
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "hit_ratio": self.hit_ratio, "summary": self.describe()}


def save_record(record: BuildRecord) -> Path:
    folder = builds_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.image_id.replace('sha256:', '')[:16]}-{record.role}.json"
    path.write_text(json.dumps(asdict(record), indent=1) + "\n")
    return path


def load_records() -> list[BuildRecord]:
    """Every build record kept on this host, oldest first."""
    records = []
    for path in sorted(builds_dir().glob("*.json")) if builds_dir().is_dir() else []:
        try:
            records.append(BuildRecord(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(records, key=lambda r: r.started)


def last_build() -> BuildRecord | None:
    """The newest build that fetched packages while the cache ran (a build served whole by the
    engine's layer cache fetches nothing and says nothing about the package cache)."""
    fetching = [r for r in load_records() if r.cache_running and (r.apt_fetches or r.requests)]
    return fetching[-1] if fetching else None


def builds_of(image_ids: dict[str, str]) -> list[BuildRecord]:
    """For each role's image (role -> image id), the newest record of the build that made
    that very image and fetched packages while a cache ran (a rebuild served by the layer
    cache fetches nothing: the build before it says how the image's packages came)."""
    found = []
    records = load_records()
    for _role, image_id in sorted(image_ids.items()):
        made = [
            r for r in records
            if r.image_id == image_id and r.cache_running and (r.apt_fetches or r.requests)
        ]  # fmt: skip
        if made:
            found.append(made[-1])
    return found


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
