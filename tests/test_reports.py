"""Reports as a person sees them: report.html and index.html rendered in headless Chromium
(Debian's), showing the matrix and the screenshot, with no broken image and no script error."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from seatcheck import reports

CHROMIUM = shutil.which("chromium")
# Every family the shared checks have: one module of checks each.
FAMILIES = sorted(
    p.stem.removeprefix("test_")
    for p in (Path(__file__).resolve().parent.parent / "suites/checks").glob("test_*.py")
)


def fake_run(reports_dir: Path, run_id: str, host: str, outcome: str) -> Path:
    run_dir = reports_dir / run_id
    run_dir.mkdir(parents=True)
    buf = io.BytesIO()
    Image.new("RGB", (64, 40), (23, 181, 97)).save(buf, format="PNG")
    (run_dir / reports.SCREENSHOT).write_bytes(buf.getvalue())
    facts: dict[str, Any] = {
        "run_id": run_id,
        "profile": "virtual",
        "host": {"hostname": host, "kernel": "6.1.0", "cpu": "test CPU", "gpus": []},
        "images": {"gnome": {"ref": "seatcheck/gnome:latest", "id": "sha256:abc"}},
        "mesa": "22.3.6",
        "x_server": "X.Org X Server 1.21.1.7",
        "selinux": {"mode": "enforcing" if host == "box" else "disabled", "policy": "default"},
        "timeline": [
            {
                "name": "image gnome (resolve or build)",
                "kind": "image",
                "start_s": 0.1,
                "seconds": 0.4,
                "ok": True,
            },
            {
                "name": "gnome: create to ready",
                "kind": "container",
                "start_s": 0.5,
                "seconds": 4.0,
                "ok": True,
            },
            {
                "name": "test_glx_renderer[gnome]",
                "kind": "check",
                "start_s": 5.0,
                "seconds": 1.5,
                "ok": outcome == "passed",
            },
            {"name": "teardown", "kind": "teardown", "start_s": 7.0, "seconds": 2.0, "ok": True},
        ],
    }
    results = [
        {"test": "suites/virtual/t.py::test_glx_renderer[gnome]", "outcome": outcome,
         "message": "" if outcome == "passed" else "expected llvmpipe; found softpipe",
         "phase": "call", "duration_s": 0.1, "evidence": {"glxinfo": {"renderer": "llvmpipe"}}},
        {"test": "suites/virtual/t.py::test_gids_device_nodes_match[gnome]",
         "outcome": "skipped", "message": "the virtual profile passes no device nodes",
         "phase": "setup", "duration_s": 0.0, "evidence": {}},
    ]  # fmt: skip
    return reports.write_run(run_dir, facts, results, [])


def test_run_report_is_self_contained(tmp_path: Path) -> None:
    page = fake_run(tmp_path, "20260101T000000Z-aaaaaa", "box", "failed").read_text()
    assert "data:image/png;base64," in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "FAIL" in page and "expected llvmpipe; found softpipe" in page
    assert "22.3.6" in page and "X.Org X Server 1.21.1.7" in page
    saved = json.loads((tmp_path / "20260101T000000Z-aaaaaa" / "results.json").read_text())
    assert saved["machine"]["hostname"] == "box"


def test_matrix_shows_newest_run_per_machine(tmp_path: Path) -> None:
    fake_run(tmp_path, "20260101T000000Z-aaaaaa", "box", "failed")
    fake_run(tmp_path, "20260102T000000Z-bbbbbb", "box", "passed")
    fake_run(tmp_path, "20260101T000000Z-cccccc", "other", "passed")
    newest = reports.render_index(reports.load_runs(tmp_path))
    assert newest.count("<tr>") == 3  # the header and one row per machine
    assert "20260102T000000Z-bbbbbb/report.html" in newest
    assert "20260101T000000Z-aaaaaa" not in newest
    history = reports.render_index(reports.load_runs(tmp_path), history=True)
    assert "20260101T000000Z-aaaaaa/report.html" in history
    # each machine's SELinux mode as its run found it
    assert "<br>SELinux enforcing</td>" in newest and "<br>SELinux disabled</td>" in newest


def test_matrix_columns_come_from_the_checks(tmp_path: Path) -> None:
    """A family no hand-kept list names (here vpn) still gets its column and its red cell, and
    the run's own verdict has a column."""
    fake_run(tmp_path, "20260101T000000Z-aaaaaa", "box", "passed")
    record = tmp_path / "20260101T000000Z-aaaaaa" / "results.json"
    doc = json.loads(record.read_text())
    doc["results"].append({
        "test": "suites/virtual/t.py::test_zzz_new_family_check", "outcome": "failed",
        "message": "expected x; found y", "phase": "call", "duration_s": 0.1, "evidence": {},
    })  # fmt: skip
    record.write_text(json.dumps(doc))
    page = reports.render_index(reports.load_runs(tmp_path))
    assert "<th class='family'>zzz</th>" in page
    assert "title='zzz'><a href='20260101T000000Z-aaaaaa/report.html'>failed</a>" in page
    assert "<td class='run-verdict failed'>failed</td>" in page
    assert reports.run_verdict({"results": [], "aborted": True}) == "aborted"


def test_report_shows_the_timeline(tmp_path: Path) -> None:
    page = fake_run(tmp_path, "20260101T000000Z-aaaaaa", "box", "passed").read_text()
    assert "<h2>Timeline</h2><p>run total 9.0 s</p>" in page
    assert "gnome: create to ready</td><td>0.5</td><td>4.0</td>" in page
    assert "checks test_glx_ (1, 1.5 s of check time)" in page
    saved = json.loads((tmp_path / "20260101T000000Z-aaaaaa" / "results.json").read_text())
    assert [p["name"] for p in saved["timeline"]][-1] == "teardown"


def test_family_with_no_check_run_is_not_applicable(tmp_path: Path) -> None:
    fake_run(tmp_path, "20260101T000000Z-aaaaaa", "box", "passed")
    run = reports.load_runs(tmp_path)[0]
    outcomes = reports.family_outcomes(run["results"])
    assert outcomes == {"glx": "passed", "gids": "n/a"}
    page = reports.render_index([run])
    assert ">n/a</a>" in page and ">passed</a>" in page
    report = (tmp_path / "20260101T000000Z-aaaaaa" / "report.html").read_text()
    assert "gids: n/a" in report


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (bin/test does)")
def test_pages_render_in_headless_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    fake_run(tmp_path, "20260101T000000Z-aaaaaa", "box", "passed")
    record = tmp_path / "20260101T000000Z-aaaaaa" / "results.json"
    doc = json.loads(record.read_text())  # a check of every family, as a whole run has
    doc["results"] += [
        {"test": f"suites/virtual/t.py::test_{f}_check", "outcome": "passed", "message": "",
         "phase": "call", "duration_s": 0.1, "evidence": {}}
        for f in FAMILIES
    ]  # fmt: skip
    record.write_text(json.dumps(doc))
    index = reports.write_index(tmp_path)
    report = tmp_path / "20260101T000000Z-aaaaaa" / "report.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            for path, must_show in ((index, "#matrix"), (report, "img")):
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.on(
                    "console",
                    lambda msg, errors=errors: errors.append(msg.text)
                    if msg.type == "error" else None,
                )  # fmt: skip
                page.goto(path.as_uri())
                assert page.locator(must_show).count() >= 1, f"{path.name} shows no {must_show}"
                broken = page.evaluate(
                    "Array.from(document.images).filter(i => !i.complete || !i.naturalWidth)"
                    ".map(i => i.alt)"
                )
                assert broken == [], f"broken images in {path.name}: {broken}"
                assert errors == [], f"errors in {path.name}: {errors}"
                page.screenshot(path=str(tmp_path / f"{path.stem}.png"), full_page=True)
                if path == index:  # the matrix fits a laptop's screen
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 1366, f"the matrix is {width} px wide"
        finally:
            browser.close()
    index_text = index.read_text()
    assert "box" in index_text and "report.html" in index_text
