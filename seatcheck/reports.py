"""What a run leaves under reports/<run id>/ (results.json, facts.json, report.html) and the
compatibility matrix over all runs (reports/index.html).

Every page is self-contained: images are embedded, there is no script and nothing is fetched,
so a report opens from disk or an attachment anywhere.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2
import pytest

SCREENSHOT = "screenshot.png"
_FAMILY = re.compile(r"::test_([a-z0-9]+)_")
STYLE = """body{font-family:sans-serif;margin:2em;color:#222} td,th{border:1px solid #ccc;
padding:4px 6px;text-align:left;vertical-align:top} table{border-collapse:collapse;margin:1em 0}
.passed{background:#e6ffe6} .failed,.error{background:#ffe6e6} .skipped{background:#f4f4f4}
pre{margin:0;white-space:pre-wrap;font-size:90%} img{max-width:100%;border:1px solid #999}
summary{cursor:pointer;color:#035} .verdict{font-size:130%;font-weight:bold}"""


@functools.cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("seatcheck", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )  # fmt: skip
    env.filters["pretty"] = lambda value: json.dumps(value, indent=1, default=str)
    return env


def _page(name: str) -> jinja2.Template:
    return _templates().get_template(name)


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


def family_of(result: dict[str, Any]) -> str:
    """A result's requirement family: its check's family marker, as the run recorded it (a
    record written before checks carried markers: the name's ``test_<family>_``)."""
    if result.get("family"):
        return str(result["family"])
    match = _FAMILY.search("::" + str(result.get("test") or result.get("name") or ""))
    return match.group(1) if match else "other"


def write_run(
    run_dir: Path, facts: dict[str, Any], results: list[dict[str, Any]], leftovers: list[str]
) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "facts.json").write_text(json.dumps(facts, indent=2, default=str) + "\n")
    summary = {
        "run_id": facts.get("run_id"),
        "profile": facts.get("profile"),
        "machine": machine_key(facts),
        # not part of the machine's key: the same machine may run with SELinux on or off
        "selinux": selinux_mode(facts),
        "families": facts.get("families") or [],
        "results": results,
        "leftovers": leftovers,
        "timeline": facts.get("timeline") or [],
    }
    (run_dir / "results.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    images = {
        path.name: base64.b64encode(path.read_bytes()).decode()
        # every picture a check saved as evidence in the run's folder, the screen first
        for path in sorted(run_dir.glob("*.png"), key=lambda p: (p.name != SCREENSHOT, p.name))
    }
    page = run_dir / "report.html"
    page.write_text(render_run(facts, results, leftovers, images))
    return page


def machine_key(facts: dict[str, Any]) -> dict[str, str]:
    """What identifies a machine in the matrix: host name, GPU, driver, kernel, and the
    engine the run used (its name, version and OCI runtime; rootless or not)."""
    host = facts.get("host") or {}
    gpus = host.get("gpus") or []
    gpu = ", ".join(f"{g.get('vendor')} {g.get('device_id')}" for g in gpus) or "none"
    driver = ", ".join(sorted({str(g.get("driver")) for g in gpus})) or "none"
    return {
        "hostname": str(host.get("hostname", "")),
        "gpu": gpu,
        "driver": driver,
        "kernel": str(host.get("kernel", "")),
        "engine": engine_label(host),
    }


def selinux_mode(facts: dict[str, Any]) -> str:
    """enforcing, permissive or disabled, as the run found it ("" for runs before it was)."""
    found = (facts.get("selinux") or {}).get("mode") or (facts.get("host") or {}).get("selinux")
    return str(found or "")


def engine_label(host: dict[str, Any]) -> str:
    """``podman 4.3.1, crun 1.8.1, rootless``: runs recorded before the engine was named
    were Docker's."""
    if not host.get("engine"):
        return ""
    parts = [f"{host.get('engine_name') or 'docker'} {host['engine']}"]
    parts += [str(host["engine_runtime"])] if host.get("engine_runtime") else []
    parts += ["rootless"] if host.get("engine_rootless") else []
    return ", ".join(parts)


def _manifest(facts: dict[str, Any]) -> list[tuple[str, str]]:
    host = facts.get("host") or {}
    gpus = host.get("gpus") or []
    images = facts.get("images") or {}
    pulse = facts.get("pulse") or {}
    selinux = facts.get("selinux") or {}
    rows = [
        ("CPU", str(host.get("cpu", ""))),
        ("GPU", "; ".join(
            f"{g.get('vendor')} {g.get('vendor_id')}:{g.get('device_id')} driver "
            f"{g.get('driver') or 'none'}" for g in gpus) or "none"),
        ("kernel", str(host.get("kernel", ""))),
        ("Mesa", str(facts.get("mesa", "unknown"))),
        ("X server", str(facts.get("x_server", "unknown"))),
        ("engine", f"{engine_label(host)} (API {host.get('engine_api', '')})"),
        ("default IPC mode", str(host.get("default_ipc_mode", ""))),
        ("privilege", str(facts.get("privilege", ""))),
        ("SELinux", f"{selinux.get('mode', host.get('selinux', ''))}, policy "
                    f"{selinux.get('policy', 'none')}"),
        ("pulse server", f"{pulse.get('server_name', 'unknown')} "
                         f"{pulse.get('server_version', '')}".strip()),
    ]  # fmt: skip
    rows += [(f"image {role}", f"{i.get('ref')} {i.get('id')}") for role, i in images.items()]
    return rows


def hit_ratio_text(build: dict[str, Any]) -> str:
    """How the report states a build's hit ratio at the package cache."""
    cache = build.get("cache") or {}
    ratio = cache.get("hit_ratio")
    if not build.get("proxy"):
        return "not through the cache"
    if ratio is None:
        return "hit ratio n/a (no requests)"
    return f"hit ratio {100 * ratio:.1f} % ({cache.get('hits', 0)}/{cache.get('requests', 0)})"


def _package_cache(facts: dict[str, Any]) -> list[tuple[str, str]]:
    pc = facts.get("package_cache") or {}
    if not pc:
        return []
    rows = [
        ("squid", f"{pc.get('address', 'not started')} (cache volume {pc.get('volume', '')})"),
        ("clients allowed", ", ".join(pc.get("clients") or []) or "none"),
    ]
    last = pc.get("last_build")
    if last:
        share = (last.get("cache") or {}).get("package_byte_share")
        rows.append((
            "last build",
            f"{last['role']} ({last['tag']}) at {last['started']}, {last['seconds']:.0f}s, "
            f"{last['apt_fetches']} apt fetches: {hit_ratio_text(last)}"
            + (f", {100 * share:.1f} % of package bytes from the cache" if share is not None
               else ""),
        ))  # fmt: skip
    else:
        rows.append(("last build", "no build record"))
    for b in pc.get("seat_builds") or []:
        rows.append((
            f"image build: {b['role']}",
            f"{b['tag']} at {b['started']}, {b['apt_fetches']} apt fetches: {hit_ratio_text(b)}",
        ))  # fmt: skip
    for b in pc.get("builds") or []:
        rows.append(
            (f"built in this run: {b['role']}", f"{b['seconds']:.0f}s, {hit_ratio_text(b)}")
        )
    return rows


def timeline_rows(phases: list[dict[str, Any]], slowest: int = 5) -> list[dict[str, Any]]:
    """The timeline a person reads: every seat phase, the checks summed per family (from the
    first one's start to the last one's end), and the slowest checks."""
    rows = [p for p in phases if p.get("kind") != "check"]
    checks = [p for p in phases if p.get("kind") == "check"]
    families: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in checks:
        families[family_of(p)].append(p)
    for family, items in families.items():
        start = min(float(p["start_s"]) for p in items)
        end = max(float(p["start_s"]) + float(p["seconds"]) for p in items)
        rows.append({
            "name": f"checks test_{family}_ ({len(items)}, {sum(p['seconds'] for p in items):.1f}"
            " s of check time)",
            "kind": "checks", "start_s": start, "seconds": round(end - start, 3),
            "ok": all(p.get("ok", True) for p in items),
        })  # fmt: skip
    for p in sorted(checks, key=lambda p: -float(p["seconds"]))[:slowest]:
        rows.append({**p, "name": f"slowest check: {p['name']}"})
    return sorted(rows, key=lambda p: float(p["start_s"]))


def _timeline(phases: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """The run's total and each timeline row placed against it (where its bar starts, how
    wide it is, its colour)."""
    if not phases:
        return 0.0, []
    total = max(float(p["start_s"]) + float(p["seconds"]) for p in phases) or 1.0
    return total, [
        {**p, "start_s": float(p["start_s"]), "seconds": float(p["seconds"]),
         "left": 100 * float(p["start_s"]) / total,
         "width": max(0.3, 100 * float(p["seconds"]) / total),
         "colour": "#6a6" if p.get("ok", True) else "#c55"}
        for p in timeline_rows(phases)
    ]  # fmt: skip


def render_run(
    facts: dict[str, Any],
    results: list[dict[str, Any]],
    leftovers: list[str],
    images: dict[str, str],
) -> str:
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        counts[r["outcome"]] += 1
    by_family: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_family[family_of(r)].append(r)
    total, timeline = _timeline(facts.get("timeline") or [])
    return _page("run.html.j2").render(
        title=f"seatcheck run {facts.get('run_id')} — profile {facts.get('profile')}",
        style=STYLE, facts=facts, leftovers=leftovers, images=images,
        verdict="FAIL" if counts["failed"] or counts["error"] or leftovers else "PASS",
        tally=", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
        manifest=_manifest(facts), package_cache=_package_cache(facts),
        recording=str(facts.get("machine_recording") or "none"),
        total=total, timeline=timeline,
        families=sorted(by_family.items()), verdicts=family_outcomes(results),
    ) + "\n"  # fmt: skip


def load_runs(reports: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(reports.glob("*/results.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        doc["dir"] = path.parent.name
        runs.append(doc)
    return runs


NOT_APPLICABLE = "n/a"
ABORTED = "aborted"


def failed_lines(record: Path, width: int = 300) -> list[str]:
    """One line per check that failed or errored in a run's results.json: its name and the
    first line of its message (for logs where the report itself is not kept)."""
    if not record.exists():
        return [f"no results at {record}"]
    lines = []
    for entry in json.loads(record.read_text()).get("results", []):
        if entry.get("outcome") in ("failed", "error"):
            message = str(entry.get("message") or "").strip().splitlines()
            first = message[0] if message else ""
            lines.append(f"{entry['outcome']}: {entry.get('test')}: {first}"[:width])
    return lines


def family_outcomes(results: list[dict[str, Any]]) -> dict[str, str]:
    """Each requirement family's outcome in a run: failed beats passed; a family none of whose
    checks ran (all skipped: the evidence cannot exist on that machine) is ``n/a``, which is
    not a pass."""
    rank = {"error": 3, "failed": 3, "passed": 2, "skipped": 1}
    found: dict[str, str] = {}
    for r in results:
        family = family_of(r)
        outcome = "failed" if r["outcome"] == "error" else r["outcome"]
        if rank.get(outcome, 0) > rank.get(found.get(family, ""), 0):
            found[family] = outcome
    return {f: NOT_APPLICABLE if o == "skipped" else o for f, o in found.items()}


def _css(outcome: str) -> str:
    return {NOT_APPLICABLE: "skipped", ABORTED: "error"}.get(outcome, outcome)


def families_of(runs: list[dict[str, Any]]) -> list[str]:
    """The requirement families of the runs: those their checks' results name and those
    their suites collected (a run that died before a check still lists what it would have
    judged), in name order, so that no family is left out."""
    found = {family_of(r) for run in runs for r in run.get("results") or []}
    found |= {str(f) for run in runs for f in run.get("families") or []}
    return sorted(found)


def run_verdict(run: dict[str, Any]) -> str:
    """A run's own verdict: aborted (it died), failed (a check failed or errored, or it
    left something behind), passed (a check passed and none failed), or n/a."""
    if run.get("aborted"):
        return ABORTED
    outcomes = set(family_outcomes(run.get("results") or []).values())
    if "failed" in outcomes or run.get("leftovers"):
        return "failed"
    return "passed" if "passed" in outcomes else NOT_APPLICABLE


MATRIX_STYLE = """#matrix th.family{writing-mode:vertical-rl;transform:rotate(180deg);
white-space:nowrap;padding:6px 2px} #matrix td.cell{padding:2px 3px;text-align:center}
#matrix td.machine{max-width:16em;font-size:90%} #matrix{font-size:90%}"""


def render_index(runs: list[dict[str, Any]], history: bool = False) -> str:
    """The compatibility matrix: a row per machine, engine and profile (the newest run, or every run
    with ``history``), the run's verdict, and a column per requirement family the runs'
    checks name, each cell linking to its run's report."""
    families = families_of(runs)
    by_machine: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        m = run.get("machine") or {}
        key = (*(str(m.get(k, "")) for k in ("hostname", "gpu", "driver", "kernel", "engine")),)
        by_machine[(*key, str(run.get("profile", "")))].append(run)
    rows = []
    for key in sorted(by_machine):
        chosen = sorted(by_machine[key], key=lambda r: str(r.get("run_id")))
        for run in chosen if history else chosen[-1:]:
            outcomes = family_outcomes(run.get("results") or [])
            if run.get("aborted"):  # the run died; its watchdog reaped it
                outcomes = dict.fromkeys(families, ABORTED)
            page = "report.html" if not run.get("aborted") else "reaper.log"
            verdict = run_verdict(run)
            host, gpu, driver, kernel, engine, prof = key
            rows.append({
                "host": host, "gpu": gpu, "driver": driver, "kernel": kernel, "profile": prof,
                "engine": engine, "selinux": str(run.get("selinux") or ""),
                "link": f"{run['dir']}/{page}", "run_id": str(run.get("run_id")),
                "verdict": verdict, "verdict_css": _css(verdict),
                "cells": {f: (_css(outcomes.get(f, "skipped")), outcomes.get(f, "—"))
                          for f in families},
            })  # fmt: skip
    return _page("index.html.j2").render(
        title="seatcheck compatibility", style=f"{STYLE}\n{MATRIX_STYLE}", count=len(runs),
        scope="every run" if history else "the newest run per machine, engine and profile",
        families=families, rows=rows,
    ) + "\n"  # fmt: skip


def write_index(reports: Path, history: bool = False) -> Path:
    page = reports / "index.html"
    reports.mkdir(parents=True, exist_ok=True)
    page.write_text(render_index(load_runs(reports), history))
    return page
