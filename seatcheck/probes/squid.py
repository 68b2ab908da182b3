"""The package cache: squid's access log, what it says about hits, and fetches through it.

access.log is in squid's native format::

    time elapsed client action/status bytes method URL ident hierarchy/peer type
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from docker.models.containers import Container

from ..engine import execs
from ..errors import ProbeError

ACCESS_LOG = "/var/log/squid/access.log"
PACKAGE_RE = re.compile(r"\.(deb|udeb|rpm)$", re.IGNORECASE)
# Served from the cache: any *HIT, and a revalidated copy the origin said is unchanged.
FROM_CACHE_RE = re.compile(r"HIT|^TCP_REFRESH_UNMODIFIED$")


@dataclass(frozen=True)
class AccessEntry:
    time: float
    client: str
    action: str  # TCP_MISS, TCP_HIT, TCP_MEM_HIT, TCP_DENIED ...
    status: int
    size: int
    method: str
    url: str

    @property
    def from_cache(self) -> bool:
        return bool(FROM_CACHE_RE.search(self.action))

    @property
    def is_package(self) -> bool:
        return bool(PACKAGE_RE.search(self.url.split("?", 1)[0]))

    def describe(self) -> str:
        return f"{self.action}/{self.status} {self.size} B {self.method} {self.url}"


def parse_access_log(text: str) -> list[AccessEntry]:
    entries = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 7 or "/" not in parts[3]:
            continue
        action, _, status = parts[3].partition("/")
        try:
            entries.append(
                AccessEntry(
                    time=float(parts[0]),
                    client=parts[2],
                    action=action,
                    status=int(status),
                    size=int(parts[4]),
                    method=parts[5],
                    url=parts[6],
                )  # fmt: skip
            )
        except ValueError:
            continue
    return entries


@dataclass(frozen=True)
class CacheStats:
    """What a stretch of the access log says: requests, hits and bytes, packages apart."""

    requests: int = 0
    hits: int = 0
    bytes: int = 0
    bytes_from_cache: int = 0
    package_requests: int = 0
    package_hits: int = 0
    package_bytes: int = 0
    package_bytes_from_cache: int = 0
    denied: int = 0

    @property
    def hit_ratio(self) -> float | None:
        return self.hits / self.requests if self.requests else None

    @property
    def package_byte_share(self) -> float | None:
        """The share of package bytes the cache served itself."""
        return self.package_bytes_from_cache / self.package_bytes if self.package_bytes else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "hit_ratio": self.hit_ratio,
            "package_byte_share": self.package_byte_share,
        }

    def describe(self) -> str:
        if not self.requests:
            return "no requests"
        share = self.package_byte_share
        return (
            f"{self.hits}/{self.requests} requests from the cache "
            f"({100 * (self.hit_ratio or 0):.0f} % hit ratio); "
            f"{self.package_bytes_from_cache / 1e6:.1f} of {self.package_bytes / 1e6:.1f} MB of "
            "packages from the cache" + (f" ({100 * share:.0f} %)" if share is not None else "")
        )


def summarize(entries: Iterable[AccessEntry]) -> CacheStats:
    counts = dict.fromkeys(CacheStats.__dataclass_fields__, 0)
    for e in entries:
        if e.action == "TCP_DENIED":
            counts["denied"] += 1
            continue
        counts["requests"] += 1
        counts["bytes"] += e.size
        if e.from_cache:
            counts["hits"] += 1
            counts["bytes_from_cache"] += e.size
        if e.is_package:
            counts["package_requests"] += 1
            counts["package_bytes"] += e.size
            if e.from_cache:
                counts["package_hits"] += 1
                counts["package_bytes_from_cache"] += e.size
    return CacheStats(**counts)


def read_log(squid: Container, timeout: float = 20) -> str:
    result = execs.run(squid, ["cat", ACCESS_LOG], timeout=timeout)
    if not result.ok:
        raise ProbeError(f"cannot read squid's access log: {result.describe()}")
    return result.stdout


def entries_since(squid: Container, mark: int) -> list[AccessEntry]:
    """The access log's entries after the first ``mark`` lines (see ``log_mark``)."""
    lines = read_log(squid).splitlines()
    return parse_access_log("\n".join(lines[mark:]))


def log_mark(squid: Container) -> int:
    """The access log's length in lines, to read only what comes after it."""
    return len(read_log(squid).splitlines())


# A small HTTP client for inside a container (python3): fetch URL through PROXY, print one
# JSON line with the status, the body's length and sha256, and squid's X-Cache header.
_FETCH = r"""
import hashlib, json, os, sys, urllib.error, urllib.request
proxy = os.environ["SEATCHECK_PROXY"]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
try:
    with opener.open(os.environ["SEATCHECK_URL"], timeout=float(os.environ["SEATCHECK_T"])) as r:
        body, status, headers = r.read(), r.status, r.headers
except urllib.error.HTTPError as e:
    body, status, headers = e.read(), e.code, e.headers
except OSError as e:
    print(json.dumps({"status": 0, "error": str(e)})); sys.exit(0)
print(json.dumps({"status": status, "length": len(body), "body": body[:200].decode("latin-1"),
                  "sha256": hashlib.sha256(body).hexdigest(),
                  "x_cache": headers.get("X-Cache", "")}))
"""


@dataclass(frozen=True)
class Fetch:
    url: str
    status: int  # 0: no HTTP answer at all
    body: str = ""  # the first 200 bytes
    length: int = 0
    x_cache: str = ""
    error: str = ""

    def describe(self) -> str:
        if not self.status:
            return f"no answer ({self.error})"
        return f"HTTP {self.status}, {self.length} B" + (
            f", X-Cache: {self.x_cache}" if self.x_cache else ""
        )


def fetch_command(url: str, proxy: str, timeout: float = 20) -> tuple[list[str], dict[str, str]]:
    """The command and environment that GET ``url`` through ``proxy`` (needs python3)."""
    env = {"SEATCHECK_PROXY": proxy, "SEATCHECK_URL": url, "SEATCHECK_T": str(timeout)}
    return ["python3", "-c", _FETCH], env


def parse_fetch(url: str, output: str) -> Fetch:
    lines = output.strip().splitlines()
    if not lines:
        return Fetch(url=url, status=0, error="the fetch helper printed nothing")
    data = json.loads(lines[-1])
    return Fetch(
        url=url, status=int(data["status"]), body=data.get("body", ""),
        length=int(data.get("length", 0)), x_cache=data.get("x_cache", ""),
        error=data.get("error", ""),
    )  # fmt: skip


def fetch(container: Container, url: str, proxy: str, timeout: float = 20) -> Fetch:
    """GET ``url`` through ``proxy`` from inside ``container`` (which needs python3)."""
    command, env = fetch_command(url, proxy, timeout)
    result = execs.run(container, command, timeout=timeout + 5, environment=env)
    if not result.ok:
        raise ProbeError(f"the fetch helper failed in {container.name}: {result.describe()}")
    return parse_fetch(url, result.stdout)
