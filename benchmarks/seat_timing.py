#!/usr/bin/env python3
"""Wall time and memory of a virtual run: warm (images present) and cold (nothing built).

    .venv/bin/python benchmarks/seat_timing.py            # warm, 5 runs
    .venv/bin/python benchmarks/seat_timing.py --cold     # cold set-up, then warm

Besides the whole command's wall time, it prints the phase table every run records in its
results.json (images, each container from create to ready, the checks per family, teardown):
the median and range of each phase over the warm runs, with the commit and the collected,
passed and skipped counts beside it. The harness's peak RSS (``seatcheck run`` and its
children, the watchdog excepted) comes from the kernel's accounting of the finished process.

Cold removes seatcheck's images (base included) and the engine's build cache first, so the
cold figure includes debootstrap and every image build. Memory is the peak usage the engine
reports for each role's container while the run goes on. This is a benchmark, not a test: it
prints figures for the README and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from seatcheck import engine
from seatcheck.engine.labels import ROLE, new_run_id, session_filter

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


def timed_run(client, label: str) -> tuple[float, dict[str, float], int, str, float]:  # type: ignore[no-untyped-def]
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "seatcheck", "run", "virtual", "--run-id", run_id,
         "--reports", str(ROOT / "reports" / "bench"), "--", "-q"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _, status_word, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status_word)
    proc.returncode = code
    rss_mib = usage.ru_maxrss / 1024  # KiB on Linux
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    status = "ok" if code == 0 else f"FAILED ({code})"
    print(f"{label}: {wall:.1f} s wall, {status}, harness peak RSS {rss_mib:.0f} MiB", flush=True)
    if code != 0:
        print(output[-3000:])
    return wall, peaks, code, run_id, rss_mib


def phase_table(run_ids: list[str]) -> None:
    """Median and range of each phase over the runs, from their results.json."""
    by_phase: dict[str, list[float]] = {}
    counts = set()
    for run_id in run_ids:
        try:
            doc = json.loads((ROOT / "reports" / "bench" / run_id / "results.json").read_text())
        except (OSError, ValueError):
            continue
        from seatcheck import reports

        for row in reports.timeline_rows(doc.get("timeline") or [], slowest=0):
            name = str(row["name"]).split(" (")[0] if row["kind"] == "checks" else str(row["name"])
            by_phase.setdefault(name, []).append(float(row["seconds"]))
        results = doc.get("results") or []
        counts.add((
            len(results),
            sum(r["outcome"] == "passed" for r in results),
            sum(r["outcome"] == "skipped" for r in results),
        ))  # fmt: skip
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    commit += "+changes" if dirty.stdout.strip() else ""
    for collected, passed, skipped in sorted(counts):
        print(f"commit {commit}: {collected} results, {passed} passed, {skipped} skipped")
    print(f"{'phase':60} {'median s':>9} {'range s':>15}")
    for name, values in by_phase.items():
        rng = f"{min(values):.1f}-{max(values):.1f}"
        print(f"{name[:60]:60} {statistics.median(values):9.1f} {rng:>15}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true", help="measure a cold set-up first")
    parser.add_argument("--runs", type=int, default=5, help="warm runs (default 5)")
    args = parser.parse_args()
    client = engine.ensure_engine()
    print(f"machine: {__import__('os').cpu_count()} cores; engine {client.version()['Version']}")
    if args.cold:
        n = remove_seatcheck_images(client)
        print(f"cold: removed {n} seatcheck images and the build cache")
        timed_run(client, "cold set-up and run (debootstrap + all image builds + suite)")
    walls, peaks_all, run_ids, rss = [], [], [], []
    for i in range(args.runs):
        wall, peaks, _, run_id, rss_mib = timed_run(client, f"warm run {i + 1}")
        walls.append(wall)
        peaks_all.append(peaks)
        run_ids.append(run_id)
        rss.append(rss_mib)
    if walls:
        print(
            f"warm run: median {statistics.median(walls):.1f} s over {len(walls)} runs "
            f"(range {min(walls):.1f} to {max(walls):.1f} s)"
        )
        print(f"harness peak RSS: median {statistics.median(rss):.0f} MiB, max {max(rss):.0f} MiB")
        phase_table(run_ids)
        roles = sorted({r for p in peaks_all for r in p})
        for role in roles:
            peak = max(p.get(role, 0.0) for p in peaks_all)
            print(f"peak memory {role}: {peak:.0f} MiB")
        print("(roles not listed: the engine reported no memory figures for them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
