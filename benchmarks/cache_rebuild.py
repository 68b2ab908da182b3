#!/usr/bin/env python3
"""What the package cache buys: every image rebuilt twice without the engine's layer cache,
first through an empty squid cache, then through the warm one.

    .venv/bin/python benchmarks/cache_rebuild.py [--json FILE]

Both passes rebuild the debootstrapped base (debootstrap goes through the cache too), squid,
gnome, appbase and the apps, with ``nocache`` so that every RUN step runs again. The cache is
a squid from the shipped image with a volume of its own; images are tagged seatcheck-bench/...
and build records go to a scratch state folder, so nothing of the user's is touched. All of
it is removed afterwards. Prints both times, their ratio and the share of package bytes the
warm cache served. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seatcheck import engine, profile, roles  # noqa: E402
from seatcheck.config import SeatConfig  # noqa: E402
from seatcheck.engine import execs  # noqa: E402
from seatcheck.engine.labels import new_run_id  # noqa: E402
from seatcheck.images import ImageBuilder  # noqa: E402
from seatcheck.probes.squid import CacheStats  # noqa: E402
from seatcheck.topology import Seat  # noqa: E402

PREFIX = "seatcheck-bench"
ROLES = (roles.SQUID, roles.GNOME, roles.CHROME, roles.VLC, roles.SHELL)  # apps pull appbase


def say(line: str) -> None:
    print(f"bench: {line}", file=sys.stderr, flush=True)


def rebuild_all(
    client: Any, seat: Seat, label: str
) -> tuple[float, CacheStats, dict[str, float], int]:
    config = SeatConfig(profile=profile.find("virtual"), run_id=f"{seat.session}-{label}")
    builder = ImageBuilder(
        client, config, lambda line: None, tag_prefix=PREFIX, force=True, nocache=True
    )
    access = seat.images.cache
    assert access is not None
    builder.cache = access
    mark = access.mark()
    started = time.monotonic()
    builder.base_image()
    for role in ROLES:
        builder.role_image(role)
    seconds = time.monotonic() - started
    per_role = {r.role: r.seconds for r in builder.records}
    # apt's own "Fetched ... in Ns" lines: the share of the build spent downloading
    fetching = sum(r.apt_fetch_seconds for r in builder.records)
    say(f"{label}: {seconds:.0f}s " + ", ".join(f"{k} {v:.0f}s" for k, v in per_role.items()))
    return seconds, access.stats_since(mark), per_role, fetching


def throttle(squid: Any, mbit: float) -> None:
    """One class-1 delay pool for everything squid fetches from the mirror."""
    rate = int(mbit * 125_000)  # bytes per second
    conf = (
        f"delay_pools 1\ndelay_class 1 1\ndelay_access 1 allow all\n"
        f"delay_parameters 1 {rate}/{rate}\n"
    )
    result = execs.shell(squid, f"printf '{conf}' >> /etc/squid/squid.conf", timeout=30)
    if not result.ok:
        raise SystemExit(f"could not throttle squid: {result.describe()}")
    squid.kill(signal="HUP")  # squid is PID 1 there: SIGHUP is its reconfigure
    time.sleep(3)
    say(f"mirror link emulated at {mbit:g} Mbit/s ({rate} B/s) for cache misses")


def remove_bench_images(client: Any) -> None:
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(PREFIX + "/"):
                client.images.remove(tag, force=True)
    client.images.prune(filters={"dangling": True})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--upstream-mbit", type=float, default=0,
        help="emulate a mirror link of this many Mbit/s: squid's delay pool slows what it "
        "fetches from the mirror (misses), never what it serves from its store (default: off)",
    )  # fmt: skip
    args = parser.parse_args()

    client = engine.ensure_engine()
    shipped = ImageBuilder(client, SeatConfig(profile=profile.find("virtual")), say).role_image(
        roles.SQUID
    )
    run_id = "bench-" + new_run_id()
    volume = f"seatcheck-bench-cache-{run_id}"
    state = tempfile.mkdtemp(prefix="seatcheck-bench-state-")
    os.environ["SEATCHECK_STATE_DIR"] = state  # the user's build records stay as they are
    seat = Seat(
        client,
        SeatConfig(
            profile=profile.find("virtual"), run_id=run_id, squid_volume=volume,
            image_overrides={roles.SQUID: shipped},
        ),
        say,
    )  # fmt: skip
    figures: dict[str, Any] = {}
    try:
        squid = seat.squid()
        say(f"empty cache volume {volume}, squid at {seat.network.address_of(seat.squid())}")
        if args.upstream_mbit:
            throttle(squid, args.upstream_mbit)
            figures["upstream_mbit"] = args.upstream_mbit
        cold, cold_stats, cold_roles, cold_fetch = rebuild_all(client, seat, "cold")
        remove_bench_images(client)
        warm, warm_stats, warm_roles, warm_fetch = rebuild_all(client, seat, "warm")
        figures |= {
            "cold_seconds": round(cold, 1),
            "warm_seconds": round(warm, 1),
            "speedup": round(cold / warm, 2),
            "cold_cache": cold_stats.as_dict(),
            "warm_cache": warm_stats.as_dict(),
            "cold_roles": cold_roles,
            "warm_roles": warm_roles,
            "cold_apt_fetch_seconds": cold_fetch,
            "warm_apt_fetch_seconds": warm_fetch,
        }
    finally:
        seat.teardown()
        remove_bench_images(client)
        try:
            client.volumes.get(volume).remove(force=True)
        except Exception as exc:  # noqa: BLE001 — report, do not hide the figures
            say(f"could not remove {volume}: {exc}")
        shutil.rmtree(state, ignore_errors=True)
    share = warm_stats.package_byte_share or 0.0
    print(f"rebuild, empty cache: {cold:.0f} s ({cold_stats.describe()})")
    print(f"rebuild, warm cache:  {warm:.0f} s ({warm_stats.describe()})")
    print(f"apt's own fetch time (apt-get only): {cold_fetch} s cold, {warm_fetch} s warm")
    link = f"mirror link {args.upstream_mbit:g} Mbit/s" if args.upstream_mbit else "mirror as is"
    print(f"speed-up: {cold / warm:.1f}x, {link} (goal: at least 3x)")
    print(
        f"package bytes from the cache on the warm rebuild: {100 * share:.1f} % "
        f"({warm_stats.package_bytes_from_cache / 1e6:.0f} of "
        f"{warm_stats.package_bytes / 1e6:.0f} MB; goal: at least 95 %)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
