"""``seatcheck vm``: make (or reuse) the VM disk, boot it, run the ``vm`` profile inside with
Xorg on a real VT, and bring the run's report back into ``reports/<run id>/``, with what only
the host can see: the sound card's wav file, the serial console and the VM's own display."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .. import engine, marks, profile, reports, roles
from ..config import SeatConfig
from ..images import APPBASE, ImageBuilder, Progress
from ..labels import new_run_id
from . import sound
from .disk import SITE, build, copy_checkout
from .qemu import Vm

MARK = re.compile(re.escape(marks.PREFIX) + r" (\S+)")
BOOT_TIMEOUT = 300.0
RUN_TIMEOUT = 1500.0
# Software emulation runs the seat several times slower than the reference machine (measured:
# the virtual suite's 20 s run takes 9 min in the VM); every deadline inside is scaled by this.
TCG_TIME_SCALE = 6
PROFILE = "vm"

JOB = """set -u
export PYTHONPATH={site}:/job/seatcheck SEATCHECK_MARKS=/dev/ttyS0 SEATCHECK_TIME_SCALE={scale}
cd /job/seatcheck
echo "seatcheck-vm: job-start $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
: > /job/out/run.log
tail -f /job/out/run.log > /dev/ttyS0 &  # the run's progress on the serial console too
tailer=$!
timeout {timeout} python3 -m seatcheck run {profile} --run-id {run_id} \\
  --reports /job/out/reports -- -p seatcheck.plugin {pytest_args} > /job/out/run.log 2>&1
code=$?
sleep 1; kill $tailer
echo "seatcheck-vm: run-exit $code $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
# The host looks at the display now (qemu's screendump): the console as the seat left it.
sleep 10
"""


class MarkWatcher(threading.Thread):
    """Follows the serial console; at each ``seatcheck-mark: NAME`` the harness in the VM
    writes, notes how far qemu has written the sound card's wav file (its byte offset)."""

    def __init__(self, serial: Path, wav: Path) -> None:
        super().__init__(daemon=True)
        self.serial, self.wav = serial, wav
        self.offsets: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        seen = 0
        pending = b""
        while not self.done.is_set():
            with contextlib.suppress(OSError):
                with open(self.serial, "rb") as log:
                    log.seek(seen)
                    chunk = log.read()
                seen += len(chunk)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    found = MARK.search(line.decode(errors="replace"))
                    if found and found.group(1) not in self.offsets:
                        size = self.wav.stat().st_size if self.wav.exists() else 0
                        self.offsets[found.group(1)] = size
            self.done.wait(0.1)


@dataclass
class VmRun:
    run_id: str
    report_dir: Path
    exit_status: int | None
    facts: dict[str, object]


def images_for_vm(builder: ImageBuilder) -> list[str]:
    """Every image the seat in the VM uses (resolved or built here first)."""
    refs = [builder.base_image(), builder.role_image(APPBASE)]
    refs += [builder.role_image(role) for role in roles.IMAGE_ROLES]
    return list(dict.fromkeys(refs))


def run_vm(
    reports: Path, progress: Progress, pytest_args: list[str], keep_vm: bool = False
) -> VmRun:
    client = engine.ensure_engine()
    prof = profile.find(PROFILE)
    run_id = new_run_id()
    config = SeatConfig(profile=prof, run_id=run_id, reports_dir=reports)
    builder = ImageBuilder(client, config, progress=progress)
    checkout = Path(__file__).resolve().parents[2]
    disk_started = time.monotonic()
    disk = build(client, images_for_vm(builder), progress)
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    vm = Vm(disk, run_dir, session=run_id)
    facts: dict[str, object] = {
        "disk": disk.recipe,
        "disk_s": round(time.monotonic() - disk_started),
    }
    scale = TCG_TIME_SCALE if vm.choose_accel() == "tcg" else 1
    job = JOB.format(
        site=SITE, scale=scale, timeout=int(RUN_TIMEOUT), profile=PROFILE, run_id=run_id,
        pytest_args=" ".join(pytest_args),
    )  # fmt: skip
    code: int | None = None
    watcher = MarkWatcher(vm.serial_log, vm.wav)
    watcher.start()
    try:
        vm.boot(job, lambda folder: copy_checkout(checkout, folder / "seatcheck"))
        facts["accel"] = vm.accel
        facts["accel_why"] = vm.accel_why
        progress(f"[vm] qemu with {vm.accel} ({vm.accel_why}); serial: {vm.serial_log}")
        vm.wait_marker(r"seatcheck-vm: booted", BOOT_TIMEOUT)
        progress(f"[vm] booted in {vm.markers['seatcheck-vm: booted']} s")
        vm.wait_marker(r"seatcheck-vm: job-start", BOOT_TIMEOUT)
        found = vm.wait_marker(r"seatcheck-vm: run-exit (\d+)", RUN_TIMEOUT + 60)
        code = int(found.group(1))
        screen = vm.screendump(run_dir / "vm-screen-after.ppm")
        if screen.exists():
            Image.open(screen).save(run_dir / "vm-screen-after.png")
            screen.unlink()
        if keep_vm:
            progress(f"[vm] left running (--keep-vm): monitor {vm.monitor}")
            return VmRun(run_id, run_dir, code, facts)
        vm.wait_exit(120)
    finally:
        watcher.done.set()
        if not keep_vm:
            vm.stop()
    facts["markers_s"] = vm.markers
    facts["mark_offsets"] = watcher.offsets
    out = vm.job_output(run_dir / "vm-job-out")
    inside = out / "reports" / run_id
    if inside.is_dir():
        for item in inside.iterdir():
            target = run_dir / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target)
    (run_dir / "vm.json").write_text(json.dumps(facts, indent=1))
    if (run_dir / "results.json").exists():
        code = _host_verdicts(run_dir, vm, watcher.offsets, facts) or code
    return VmRun(run_id, run_dir, code, facts)


def _host_verdicts(
    run_dir: Path, vm: Vm, offsets: dict[str, int], vm_facts: dict[str, object]
) -> int | None:
    """What only the host saw joins the run's own results, and the report is written again:
    the sound card's wav for the card-tone check. Returns 1 where a verdict failed a check
    that had passed inside."""
    summary = json.loads((run_dir / "results.json").read_text())
    facts = json.loads((run_dir / "facts.json").read_text())
    facts["vm"] = vm_facts
    results: list[dict[str, object]] = summary["results"]
    failed = False
    verdict = sound.judge_card_tone(vm.wav, offsets)
    for entry in results:
        if str(entry.get("test", "")).endswith("test_pulse_tone_reaches_the_sound_card"):
            if verdict is None:
                continue
            evidence = dict(entry.get("evidence") or {})  # type: ignore[call-overload]
            evidence.update(verdict["evidence"])
            entry["evidence"] = evidence
            if entry.get("outcome") == "passed":
                entry["outcome"], entry["message"] = verdict["outcome"], verdict["message"]
                failed |= verdict["outcome"] == "failed"
    shown = _login_on_display(run_dir / "vm-screen-after.png")
    results.append(shown)
    failed |= shown["outcome"] == "failed"
    reports.write_run(run_dir, facts, results, summary.get("leftovers") or [])
    return 1 if failed else None


def _login_on_display(screen: Path) -> dict[str, object]:
    """The VM's display after the run, as a person would see it: its text read back (OCR)
    must hold getty's login prompt. The kernel's VT state and /dev/vcs1 can look restored
    while the screen stays black (after a SIGKILLed Xorg); only the display tells."""
    started = time.monotonic()
    entry: dict[str, object] = {
        "test": "host::test_teardown_login_prompt_on_the_display", "phase": "call",
    }  # fmt: skip
    if not screen.exists():
        text, message = "", "expected a screendump of the VM's display after the run; found none"
    else:
        engine.ensure_host_packages({"tesseract": "tesseract-ocr"})
        proc = subprocess.run(
            ["tesseract", str(screen), "-", "--psm", "6"], capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        text = proc.stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        found = any("login:" in line.lower() for line in lines)
        message = "" if found else (
            "expected getty's login: prompt on the VM's display after teardown (read from "
            f"qemu's screendump); found {' | '.join(lines[:3]) or 'no text (a blank screen)'}"
        )  # fmt: skip
    entry.update(
        outcome="failed" if message else "passed", message=message,
        duration_s=round(time.monotonic() - started, 3),
        evidence={"display_text": text.strip()[:500], "screendump": screen.name},
    )  # fmt: skip
    return entry
