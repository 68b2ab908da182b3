#!/usr/bin/env python3
"""Time `seatcheck report` over N synthetic runs (default 1,000): the compatibility matrix merge.

    .venv/bin/python benchmarks/merge_reports.py --runs 1000

Writes N small runs (results.json of 50 checks each, as a real virtual run has) into a temp
folder, then times reports.write_index over them. Prints the figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from seatcheck import reports

FAMILIES = ("glx", "x11", "ipc", "pulse", "gids", "selinux", "teardown")


def make_runs(folder: Path, count: int) -> None:
    for i in range(count):
        run_id = f"2026{i:08d}Z-{i:06x}"
        results = [
            {"test": f"suites/virtual/test_virtual.py::test_{FAMILIES[j % 7]}_check_{j}",
             "outcome": "failed" if (i + j) % 97 == 0 else "passed", "message": "",
             "phase": "call", "duration_s": 0.1, "evidence": {"value": j}}
            for j in range(50)
        ]  # fmt: skip
        doc = {
            "run_id": run_id, "profile": "virtual", "leftovers": [], "results": results,
            "machine": {"hostname": f"host{i % 40}", "gpu": "none", "driver": "none",
                        "kernel": "6.1.0"},
        }  # fmt: skip
        (folder / run_id).mkdir()
        (folder / run_id / "results.json").write_text(json.dumps(doc))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_runs(folder, args.runs)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            reports.write_index(folder)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        reports.write_index(folder, history=True)
        history = time.perf_counter() - start
    print(f"merge of {args.runs} runs: median {statistics.median(times):.2f} s "
          f"(newest per machine), {history:.2f} s (history)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
