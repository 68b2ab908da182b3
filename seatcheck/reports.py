"""What a run leaves under reports/<run id>/: results.json, facts.json and report.html."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

SCREENSHOT = "screenshot.png"


def result_of(report: pytest.TestReport) -> dict[str, Any]:
    outcome: str = report.outcome
    if report.when != "call" and outcome == "failed":
        outcome = "error"
    message = ""
    if report.longrepr is not None and outcome != "passed":
        if isinstance(report.longrepr, tuple):  # skip: (path, line, reason)
            message = str(report.longrepr[2])
        elif hasattr(report.longrepr, "reprcrash") and report.longrepr.reprcrash is not None:
            message = str(report.longrepr.reprcrash.message)
        else:
            message = str(report.longrepr)
    evidence = dict(report.user_properties)
    return {
        "test": report.nodeid,
        "phase": report.when,
        "outcome": outcome,
        "message": message,
        "duration_s": round(report.duration, 3),
        "evidence": {k: _jsonable(v) for k, v in evidence.items()},
    }


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


def write_run(
    run_dir: Path, facts: dict[str, Any], results: list[dict[str, Any]], leftovers: list[str]
) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "facts.json").write_text(json.dumps(facts, indent=2, default=str) + "\n")
    summary = {
        "run_id": facts.get("run_id"),
        "profile": facts.get("profile"),
        "results": results,
        "leftovers": leftovers,
    }
    (run_dir / "results.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    page = run_dir / "report.html"
    page.write_text(render_html(facts, results, leftovers, (run_dir / SCREENSHOT).exists()))
    return page


def render_html(
    facts: dict[str, Any], results: list[dict[str, Any]], leftovers: list[str], shot: bool
) -> str:
    esc = html.escape
    rows = "\n".join(
        f"<tr class='{esc(r['outcome'])}'><td>{esc(r['test'])}</td><td>{esc(r['outcome'])}</td>"
        f"<td><pre>{esc(r['message'])}</pre></td></tr>"
        for r in results
    )
    fact_rows = "\n".join(
        f"<tr><th>{esc(str(k))}</th><td><pre>{esc(json.dumps(v, indent=1, default=str))}</pre>"
        "</td></tr>"
        for k, v in facts.items()
    )
    left = (
        "<p class='failed'>Left behind: " + esc("; ".join(leftovers)) + "</p>" if leftovers else ""
    )
    img = (
        f"<h2>Screen</h2><img src='{SCREENSHOT}' alt='the seat screen' width='640'>" if shot else ""
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>seatcheck run {esc(str(facts.get("run_id")))}</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{border:1px solid #ccc;padding:4px;
text-align:left;vertical-align:top}} table{{border-collapse:collapse}} .passed{{background:#e6ffe6}}
.failed,.error{{background:#ffe6e6}} .skipped{{background:#f4f4f4}} pre{{margin:0;
white-space:pre-wrap}}</style></head>
<body><h1>seatcheck run {esc(str(facts.get("run_id")))} —
profile {esc(str(facts.get("profile")))}</h1>
{left}<h2>Checks</h2><table><tr><th>check</th><th>outcome</th><th>message</th></tr>
{rows}</table>{img}<h2>Host and seat facts</h2><table>{fact_rows}</table></body></html>
"""
