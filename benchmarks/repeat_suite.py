#!/usr/bin/env python3
"""Run the virtual suite N times in a row on the healthy seat and count the runs that pass.

    .venv/bin/python benchmarks/repeat_suite.py --runs 10

Each run is a fresh ``pytest suites/virtual`` (a new seat, images already built). Prints one
line per run, the tally, and whether every run passed and skipped the same checks (a check
that passes in one run and skips in another is a flaky verdict too). It asserts nothing (the
figure goes in the README).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from seatcheck.engine.labels import new_run_id

    passed = 0
    outcome_sets: set[tuple[frozenset[str], frozenset[str]]] = set()
    reports = ROOT / "reports" / "repeat"
    for i in range(1, args.runs + 1):
        start = time.monotonic()
        run_id = new_run_id()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "suites/virtual", "-q", "-p", "no:cacheprovider",
             f"--seatcheck-reports={reports}", f"--seatcheck-run-id={run_id}"],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        try:
            results = json.loads((reports / run_id / "results.json").read_text())["results"]
        except (OSError, ValueError):
            results = []
        outcome_sets.add(
            tuple(  # type: ignore[arg-type]
                frozenset(r["test"] for r in results if r["outcome"] == kind)
                for kind in ("passed", "skipped")
            )
        )
        summary = [line for line in proc.stdout.splitlines() if " in " in line and "=" in line]
        ok = proc.returncode == 0
        passed += ok
        print(
            f"run {i}: {'pass' if ok else 'FAIL'} in {time.monotonic() - start:.0f} s "
            f"{summary[-1].strip('= ') if summary else ''}",
            flush=True,
        )
        if not ok:
            print(proc.stdout[-3000:])
    print(f"{passed} of {args.runs} consecutive runs passed")
    same = "yes" if len(outcome_sets) == 1 else f"no ({len(outcome_sets)} different sets)"
    print(f"every run passed and skipped the same checks: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
