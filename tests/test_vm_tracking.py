"""What a VM run starts outside the engine (qemu, the host's Xvfb beside it) is ended like a
labelled container when its owner is gone: real process groups, a real dead owner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from seatcheck.vm import tracking
from seatcheck.waits import wait_for


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SEATCHECK_STATE_DIR", str(tmp_path))
    return tmp_path


def test_a_dead_runs_process_group_is_ended(state: Path) -> None:
    qemu = subprocess.Popen(["sleep", "600"], start_new_session=True)  # stands in for qemu
    owner = subprocess.Popen(["true"])
    owner.wait(timeout=10)  # the run that started it, now dead
    try:
        tracking.record("vm-run-dead", qemu.pid)
        record = tracking.records_dir() / "vm-run-dead.json"
        text = record.read_text().replace(f":{os.getpid()}", f":{owner.pid}")
        record.write_text(text)
        tracking.record("vm-run-alive", 2**22 + 1)  # owned by this live process
        assert tracking.dead_sessions() == ["vm-run-dead"]
        assert tracking.end("vm-run-dead")
        wait_for(lambda: qemu.poll() is not None, 10, "the recorded process group to end")
        assert not record.exists()
    finally:
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait(timeout=10)
        tracking.forget("vm-run-alive")


def test_every_process_group_of_a_dead_session_is_ended(state: Path) -> None:
    # qemu and the host's Xvfb beside it: two groups under one session
    groups = [subprocess.Popen(["sleep", "600"], start_new_session=True) for _ in range(2)]
    owner = subprocess.Popen(["true"])
    owner.wait(timeout=10)
    try:
        for group in groups:
            tracking.record("vm-run-two", group.pid)
        record = tracking.records_dir() / "vm-run-two.json"
        record.write_text(record.read_text().replace(f":{os.getpid()}", f":{owner.pid}"))
        assert tracking.dead_sessions() == ["vm-run-two"]
        assert tracking.end("vm-run-two")
        for group in groups:
            wait_for(lambda g=group: g.poll() is not None, 10, "each recorded group to end")
        assert not record.exists()
    finally:
        for group in groups:
            if group.poll() is None:
                group.kill()
            group.wait(timeout=10)
