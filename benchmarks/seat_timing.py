#!/usr/bin/env python3
"""Wall time and memory of a virtual run: warm (images present) and cold (nothing built).

    .venv/bin/python benchmarks/seat_timing.py            # warm, 3 runs
    .venv/bin/python benchmarks/seat_timing.py --cold     # cold set-up, then warm

Cold removes seatcheck's images (base included) and the engine's build cache first, so the
cold figure includes debootstrap and every image build. Memory is the peak usage the engine
reports for each role's container while the run goes on. This is a benchmark, not a test: it
prints figures for the README and asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from seatcheck import engine
from seatcheck.labels import ROLE, new_run_id, session_filter

ROOT = Path(__file__).resolve().parent.parent


def remove_seatcheck_images(client) -> int:  # type: ignore[no-untyped-def]
    removed = 0
    for image in client.images.list():
        if any(t.startswith(("seatcheck/", "seatcheck-test/")) for t in image.tags):
            for tag in image.tags:
                client.images.remove(tag, force=True)
            removed += 1
    client.api.prune_builds()
    return removed


def timed_run(client, label: str) -> tuple[float, dict[str, float], int]:  # type: ignore[no-untyped-def]
    run_id = new_run_id()
    peaks: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for c in client.containers.list(filters=session_filter(run_id)):
                try:
                    mem = c.stats(stream=False, one_shot=True).get("memory_stats") or {}
                    if not mem:  # the engine has no memory figures for this container
                        continue
                    # max_usage is the cgroup's own peak (cgroup v1); usage where v2 has none.
                    usage = max(mem.get("usage", 0), mem.get("max_usage", 0)) / 2**20
                except Exception:  # the container went away while we asked
                    continue
                role = c.labels.get(ROLE, "?")
                peaks[role] = max(peaks.get(role, 0.0), usage)
            done.wait(0.3)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "seatcheck", "run", "virtual", "--run-id", run_id,
         "--reports", str(ROOT / "reports" / "bench"), "--", "-q"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    status = "ok" if proc.returncode == 0 else f"FAILED ({proc.returncode})"
    print(f"{label}: {wall:.1f} s wall, {status}", flush=True)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    return wall, peaks, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true", help="measure a cold set-up first")
    parser.add_argument("--runs", type=int, default=3, help="warm runs (default 3)")
    args = parser.parse_args()
    client = engine.ensure_engine()
    print(f"machine: {__import__('os').cpu_count()} cores; engine {client.version()['Version']}")
    if args.cold:
        n = remove_seatcheck_images(client)
        print(f"cold: removed {n} seatcheck images and the build cache")
        timed_run(client, "cold set-up and run (debootstrap + all image builds + suite)")
    walls, peaks_all = [], []
    for i in range(args.runs):
        wall, peaks, _ = timed_run(client, f"warm run {i + 1}")
        walls.append(wall)
        peaks_all.append(peaks)
    if walls:
        print(f"warm run: median {statistics.median(walls):.1f} s over {len(walls)} runs")
        roles = sorted({r for p in peaks_all for r in p})
        for role in roles:
            peak = max(p.get(role, 0.0) for p in peaks_all)
            print(f"peak memory {role}: {peak:.0f} MiB")
        print("(roles not listed: the engine reported no memory figures for them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
