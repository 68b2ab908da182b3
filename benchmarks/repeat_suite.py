#!/usr/bin/env python3
"""Run the virtual suite N times in a row on the healthy seat and count the runs that pass.

    .venv/bin/python benchmarks/repeat_suite.py --runs 10

Each run is a fresh ``pytest suites/virtual`` (a new seat, images already built). Prints one
line per run and the tally; it asserts nothing (the figure goes in the README).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    passed = 0
    for i in range(1, args.runs + 1):
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "suites/virtual", "-q", "-p", "no:cacheprovider",
             f"--seatcheck-reports={ROOT / 'reports' / 'repeat'}"],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
