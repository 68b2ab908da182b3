"""Teardown and crash safety: stale X locks, dead runs, SIGKILL and SIGTERM mid-run, and a
seat that breaks a VT."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, SuiteRun
from docker import DockerClient

from seatcheck import console, reports
from seatcheck.engine import labels
from seatcheck.engine.labels import OWNER, ROLE, SESSION, new_run_id
from seatcheck.waits import wait_for

TEARDOWN_ONLY = "teardown or gnome_shell_owns"


def test_stale_x_lock_fails_teardown_and_next_start_clears_it(
    client: DockerClient, base_image: str, run_suite: Callable[..., SuiteRun],
) -> None:  # fmt: skip
    volume = f"seatcheck-test-tmp-{secrets.token_hex(3)}"
    try:
        crashed = run_suite(
            f"--seatcheck-tmp-volume={volume}",
            "-p",
            "seatcheck.faults.plugins.gnome_killed",
            "-k",
            TEARDOWN_ONLY,
        )
        check = crashed.outcome("test_teardown_common_tmp_has_no_stale_servers")
        assert check["outcome"] == "failed", crashed.output[-2000:]
        assert "expected the stopped seat to leave no X lock" in check["message"]
        assert "found /tmp/.X0-lock (X server pid" in check["message"]
        assert crashed.outcome("test_teardown_nothing_labelled_remains")["outcome"] == "passed"
        assert crashed.leftovers == []

        again = run_suite(f"--seatcheck-tmp-volume={volume}", "-k", TEARDOWN_ONLY)
        assert again.returncode == 0, again.output[-3000:]
        assert any(".X0-lock" in line for line in again.facts["common_tmp_cleared"])

        # A common_tmp that a running container still uses is refused, not cleared.
        user = client.containers.run(
            base_image, ["sleep", "300"], detach=True, volumes={volume: {"bind": "/tmp"}},
            labels={SESSION: "tmp-user-" + secrets.token_hex(3), ROLE: "test"},
        )  # fmt: skip
        try:
            refused = run_suite(f"--seatcheck-tmp-volume={volume}", "-k", TEARDOWN_ONLY)
        finally:
            user.remove(force=True)
        assert refused.returncode != 0
        assert f"set-up of role 'common_tmp' failed: volume {volume} is in use" in refused.output
        assert refused.leftovers == []
    finally:
        client.volumes.get(volume).remove(force=True)


def _start_suite(run_id: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", str(ROOT / "suites/virtual"), "-p", "no:cacheprovider",
         f"--seatcheck-run-id={run_id}", f"--seatcheck-reports={tmp_path}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for_gnome(client: DockerClient, run_id: str) -> None:
    flt = {"label": [f"{SESSION}={run_id}", f"{ROLE}=gnome"], "status": "running"}
    wait_for(lambda: client.containers.list(filters=flt), 300, "the run's gnome container")


def test_sigkill_mid_run_is_reaped_within_15s(client: DockerClient, tmp_path: Path) -> None:
    run_id = new_run_id()
    proc = _start_suite(run_id, tmp_path)
    try:
        _wait_for_gnome(client, run_id)
    finally:
        proc.kill()  # SIGKILL: no teardown of its own runs
        proc.wait()
    killed = time.monotonic()
    wait_for(lambda: not labels.leftovers(client, run_id), 15, "the watchdog to reap the run")
    reaped_after = time.monotonic() - killed
    assert reaped_after < 15
    log = (tmp_path / run_id / "reaper.log").read_text()
    assert f"run {run_id} ended without teardown: reaping" in log
    # The dead run stays on the record: aborted, with what the watchdog reaped.
    record = wait_for(
        lambda: json.loads((tmp_path / run_id / "results.json").read_text()), 10, "the record"
    )
    assert record["aborted"] is True and record["profile"] == "virtual"
    assert any(r.startswith(("container", "network", "volume")) for r in record["reaped"])
    matrix = reports.render_index(reports.load_runs(tmp_path))
    assert ">aborted</a>" in matrix


def test_sigterm_mid_run_runs_the_normal_teardown(client: DockerClient, tmp_path: Path) -> None:
    run_id = new_run_id()
    proc = _start_suite(run_id, tmp_path)
    try:
        _wait_for_gnome(client, run_id)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    assert labels.leftovers(client, run_id) == []
    assert (tmp_path / run_id / "results.json").exists()  # the session finished normally
    log = tmp_path / run_id / "reaper.log"
    assert not log.exists() or "without teardown" not in log.read_text()


def test_dead_runs_are_swept(client: DockerClient, base_image: str) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid is now a dead owner
    host = socket.gethostname()
    sessions = {
        "dead": f"deadrun-{secrets.token_hex(3)}",
        "alive": f"liverun-{secrets.token_hex(3)}",
    }
    owners = {"dead": f"{host}:{dead.pid}", "alive": f"{host}:{os.getpid()}"}
    for kind in ("dead", "alive"):
        client.containers.create(
            base_image,
            ["true"],
            labels={SESSION: sessions[kind], ROLE: "test", OWNER: owners[kind]},
        )
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "seatcheck", "reap"], cwd=ROOT, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert f"reaped {sessions['dead']}" in proc.stdout
        assert sessions["alive"] not in proc.stdout
        assert labels.leftovers(client, sessions["dead"]) == []
        assert labels.leftovers(client, sessions["alive"]) != []
        by_hand = subprocess.run(
            [sys.executable, "-m", "seatcheck", "reap", "--session", sessions["alive"]],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert f"reaped {sessions['alive']}" in by_hand.stdout
    finally:
        for session in sessions.values():
            labels.remove_session(client, session)


@pytest.mark.skipif(not console.has_vts(), reason="this machine has no VTs (/dev/tty0)")
def test_seat_that_breaks_a_vt_gets_it_back_at_teardown(run_suite: Callable[..., SuiteRun]) -> None:
    before = console.snapshot({60})
    try:
        run = run_suite("-p", "seatcheck.faults.plugins.vt_graphics", "-k", TEARDOWN_ONLY)
        # The seat broke the VT: the check fails with what it found, though the harness
        # gave the console back.
        check = run.outcome("test_teardown_console_as_before")
        assert check["outcome"] == "failed", check
        assert re.search(
            r"expected the stopped seat to leave the console as before the run \(tty\d+ active, "
            r"\d+ VT\(s\) in their old modes\); found tty60: KD_GRAPHICS, keyboard K_OFF",
            check["message"],
        ), check["message"]
        restored = check["evidence"]["console"]["restored"]
        assert any("tty60: KD_GRAPHICS, keyboard K_OFF" in line for line in restored), restored
        assert console.differences(before, console.snapshot({60})) == []
        others = [r for r in run.results["results"] if r["outcome"] in ("failed", "error")]
        assert [r["test"].split("::")[-1] for r in others] == ["test_teardown_console_as_before"]
    finally:
        console.restore(before)


def test_resource_left_behind_fails_the_teardown_check(
    client: DockerClient, run_suite: Callable[..., SuiteRun]
) -> None:
    run = run_suite("-p", "seatcheck.faults.plugins.volume_held", "-k", TEARDOWN_ONLY)
    blockers = client.containers.list(filters={"label": f"seatcheck-test.blocker={run.run_id}"})
    try:
        check = run.outcome("test_teardown_nothing_labelled_remains")
        assert check["outcome"] == "failed", run.output[-2000:]
        assert "expected nothing labelled with the run's session after teardown" in check["message"]
        assert f"found volume seatcheck-{run.run_id}-common_tmp" in check["message"]
        assert run.outcome("test_teardown_common_tmp_has_no_stale_servers")["outcome"] == "passed"
    finally:
        for blocker in blockers:
            blocker.remove(force=True)
        labels.remove_session(client, run.run_id)
    assert labels.leftovers(client, run.run_id) == []
