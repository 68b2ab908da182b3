"""``seatcheck vm``: make (or reuse) the VM disk, boot it, run the ``vm`` profile inside with
Xorg on a real VT (then, with ``--faults``, limited seats broken by the VM's faults, faults of
different families on one seat, in the same boot), and bring each run's report back into
``reports/<run id>/`` with what only the host can see: the sound card's wav file, the serial
console and the VM's own display."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from .. import engine, marks, profile, reaper, recorder, reports, roles
from ..config import SeatConfig
from ..engine.labels import new_run_id
from ..errors import UsageError
from ..faults import Fault, judge_seat, seat_groups
from ..faults.catalogue import VM_FAULTS, VM_SEAT_SIZE
from ..images import APPBASE, ImageBuilder, Progress, device_group_args
from . import sound
from .disk import SITE, build, copy_checkout
from .qemu import Vm

MARK = re.compile(re.escape(marks.PREFIX) + r" (\S+)")
RUN_START = re.compile(r"seatcheck-vm: run-start (\S+)")
BOOT_TIMEOUT = 300.0
RUN_TIMEOUT = 1500.0
# Software emulation runs the seat several times slower than the reference machine (measured:
# the virtual suite's 20 s run takes 9 min in the VM); every deadline inside is scaled by this.
TCG_TIME_SCALE = 6
# The profile the guest should find for each GPU qemu gives it.
PROFILE_FOR_GPU = {"virgl": "vm", "virtio-vga": "vm-2d"}

JOB_HEAD = """set -u
export PYTHONPATH={site}:/job/seatcheck SEATCHECK_MARKS=/dev/ttyS0
export SEATCHECK_TIME_SCALE={scale}
# The images in the VM's engine were built on the host with these device GIDs; the VM's own
# render group (dynamic) owns no node there (its udev rule gives render nodes to video).
export SEATCHECK_DEVICE_GIDS='{gids}'
cd /job/seatcheck
up() {{ cut -d' ' -f1 /proc/uptime; }}
echo "seatcheck-vm: job-start $(up)" > /dev/ttyS0
# The profile is the one the guest's own devices fit (vm with a 3D virtio_gpu, vm-2d without):
# found here, not given by the host.
profile=$(python3 -m seatcheck.machine \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["profile"])')
echo "seatcheck-vm: profile $profile" > /dev/ttyS0
echo "seatcheck-vm: selinux $(getenforce 2>&1)" > /dev/ttyS0
# Booted permissive to collect denials: the ones the policy does not audit are logged too.
if [ "$(getenforce)" = Permissive ]; then semodule -DB; fi
run_one() {{  # RUN_ID PYTEST_ARGS...
  id=$1; shift
  echo "seatcheck-vm: run-start $id $(up)" > /dev/ttyS0
  : > /job/out/$id.log
  tail -f /job/out/$id.log > /dev/ttyS0 &  # the run's progress on the serial console too
  tailer=$!
  timeout {timeout} python3 -m seatcheck run "$profile" --run-id "$id" \\
    --reports /job/out/reports -- -p seatcheck.plugin -p seatcheck.fixtures "$@" \\
    > /job/out/$id.log 2>&1
  code=$?
  sleep 1; kill $tailer
  # The kernel's log as the run left it (SELinux's denials), read as the job's own domain.
  dd if=/dev/kmsg of=/job/out/$id-kernel.log bs=8k iflag=nonblock status=none 2>/dev/null
  echo "seatcheck-vm: run-exit $id $code $(up)" > /dev/ttyS0
  # The host looks at the display now (a picture of it): the console as the seat left it.
  sleep 10
}}
kill_one() {{  # RUN_ID: the harness dies by SIGKILL once X holds its VT, mid-run
  id=$1
  echo "seatcheck-vm: run-start $id $(up)" > /dev/ttyS0
  python3 -m seatcheck run "$profile" --run-id "$id" --reports /job/out/reports -- \
    -p seatcheck.plugin -p seatcheck.fixtures -k test_console > /job/out/$id.log 2>&1 &
  harness=$!
  t=0; while [ "$(fgconsole)" = 1 ] && [ $t -lt 900 ]; do sleep 1; t=$((t+1)); done
  sleep 5
  kill -KILL $harness
  echo "seatcheck-vm: harness-killed $id $(up)" > /dev/ttyS0
  back=$(python3 -m seatcheck.vm.console_wait 120)
  echo "seatcheck-vm: console-back $id $back" > /dev/ttyS0
  sleep 20  # the watchdog finishes its record; the host looks at the display
  echo "seatcheck-vm: run-exit $id 137 $(up)" > /dev/ttyS0
}}
"""
WATCHDOG_DEADLINE = 15.0  # seconds from the harness's death to the console given back


@dataclass
class InsideRun:
    run_id: str
    faults: tuple[Fault, ...]  # none: the healthy run (or the killed one)
    pytest_args: list[str]
    killed: bool = False  # the harness is killed mid-run; the watchdog must restore
    restored_s: str = ""  # how long the console took to come back, as measured inside
    exit_status: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.faults:
            return "+".join(f.name for f in self.faults)
        return "harness killed" if self.killed else "healthy"


class MarkWatcher(threading.Thread):
    """Follows the serial console; at each ``seatcheck-mark: NAME`` the harness in the VM
    writes, notes how far qemu has written the sound card's wav file (its byte offset), filed
    under the run that was going on."""

    def __init__(self, serial: Path, wav: Path) -> None:
        super().__init__(daemon=True)
        self.serial, self.wav = serial, wav
        self.offsets: dict[str, dict[str, int]] = {}
        self.done = threading.Event()

    def run(self) -> None:
        seen, pending, current = 0, b"", ""
        while not self.done.is_set():
            with contextlib.suppress(OSError):
                with open(self.serial, "rb") as log:
                    log.seek(seen)
                    chunk = log.read()
                seen += len(chunk)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode(errors="replace")
                    started = RUN_START.search(line)
                    if started:
                        current = started.group(1)
                    found = MARK.search(line)
                    mine = self.offsets.setdefault(current, {})
                    if found and found.group(1) not in mine:
                        mine[found.group(1)] = self.wav.stat().st_size if self.wav.exists() else 0
            self.done.wait(0.1)


@dataclass
class VmRun:
    runs: list[InsideRun]
    facts: dict[str, object]

    @property
    def exit_status(self) -> int:
        healthy = self.runs[0]
        if healthy.exit_status is None or any(r.problems for r in self.runs[1:]):
            return 1
        return healthy.exit_status


def images_for_vm(builder: ImageBuilder) -> list[str]:
    """Every image the seat in the VM uses (resolved or built here first)."""
    refs = [builder.base_image(), builder.role_image(APPBASE)]
    refs += [builder.role_image(role) for role in roles.IMAGE_ROLES]
    return list(dict.fromkeys(refs))


def run_vm(
    reports_dir: Path, progress: Progress, pytest_args: list[str], keep_vm: bool = False,
    with_faults: bool = False, only_faults: tuple[str, ...] = (),
) -> VmRun:  # fmt: skip
    chosen = [f for f in VM_FAULTS if not only_faults or f.name in only_faults]
    unknown = set(only_faults) - {f.name for f in VM_FAULTS}
    if unknown:
        raise UsageError(f"no VM fault named {', '.join(sorted(unknown))}")
    client = engine.ensure_engine()
    # A VM run that died left qemu behind: end it (and any dead seat) before a new one.
    for session, left in reaper.sweep(client).items():
        progress(f"reaped dead run {session}" + (f"; left {left}" if left else ""))
    prof = profile.find("vm")  # for the images and the run folder; the guest finds its own
    runs = [InsideRun(new_run_id(), (), pytest_args)]
    for group in seat_groups(chosen, VM_SEAT_SIZE) if with_faults else ():
        args = [a for fault in group for a in fault.plugin_args()]
        args += ["-k", " or ".join(fault.selection() for fault in group)]
        runs.append(InsideRun(new_run_id(), tuple(group), args))
    if with_faults and not only_faults:
        runs.append(InsideRun(new_run_id(), (), [], killed=True))
    first = runs[0].run_id
    config = SeatConfig(profile=prof, run_id=first, reports_dir=reports_dir)
    builder = ImageBuilder(client, config, progress=progress)
    checkout = profile.project_root()
    started = time.monotonic()
    disk = build(client, images_for_vm(builder), progress)
    run_dir = config.run_dir  # the VM's own files (serial, wav, qemu) go with the first run
    run_dir.mkdir(parents=True, exist_ok=True)
    vm = Vm(disk, run_dir, session=first)
    facts: dict[str, object] = {"disk": disk.recipe, "disk_s": round(time.monotonic() - started)}
    scale = TCG_TIME_SCALE if vm.choose_accel() == "tcg" else 1
    job = JOB_HEAD.format(
        site=SITE, scale=scale, timeout=int(RUN_TIMEOUT),
        gids=json.dumps(device_group_args()),
    )  # fmt: skip
    job += "".join(
        f"kill_one {r.run_id}\n"
        if r.killed
        else f"run_one {r.run_id} {shlex.join(r.pytest_args)}\n"
        for r in runs
    )
    watcher = MarkWatcher(vm.serial_log, vm.wav)
    watcher.start()
    try:
        vm.boot(job, lambda folder: copy_checkout(checkout, folder / "seatcheck"))
        facts.update(
            accel=vm.accel, accel_why=vm.accel_why, gpu=vm.gpu, gpu_why=vm.gpu_why,
            time_scale=scale,
        )  # fmt: skip
        progress(
            f"[vm] qemu with {vm.accel} ({vm.accel_why}), GPU {vm.gpu} ({vm.gpu_why}); "
            f"serial: {vm.serial_log}"
        )
        vm.wait_marker(r"seatcheck-vm: booted", BOOT_TIMEOUT)
        progress(f"[vm] booted in {vm.markers['seatcheck-vm: booted']} s")
        found = vm.wait_marker(r"seatcheck-vm: profile (\S*)", BOOT_TIMEOUT)
        facts["profile"] = found.group(1)
        # The mode the guest runs in, as its getenforce says (the disk asks for enforcing).
        facts["selinux"] = vm.wait_marker(r"seatcheck-vm: selinux (\S+)", BOOT_TIMEOUT).group(1)
        progress(f"[vm] the guest's devices fit the {found.group(1) or 'no'} profile")
        for run in runs:
            own = reports_dir / run.run_id
            own.mkdir(parents=True, exist_ok=True)
            if run.killed:
                back = vm.wait_marker(
                    rf"seatcheck-vm: console-back {run.run_id} (\S+)", RUN_TIMEOUT
                )
                run.restored_s = back.group(1)
                time.sleep(2)  # the display is redrawn a moment after the VT switch
                screen = vm.screendump(own / "vm-screen-after.ppm")
                if screen.exists():
                    Image.open(screen).save(own / "vm-screen-after.png")
                    screen.unlink()
            found = vm.wait_marker(rf"seatcheck-vm: run-exit {run.run_id} (\d+)", RUN_TIMEOUT + 60)
            run.exit_status = int(found.group(1))
            progress(f"[vm] run {run.run_id} ({run.name}) exited {run.exit_status}")
            if run.killed:
                continue
            screen = vm.screendump(own / "vm-screen-after.ppm")
            if screen.exists():
                Image.open(screen).save(own / "vm-screen-after.png")
                screen.unlink()
        if keep_vm:
            progress(f"[vm] left running (--keep-vm): monitor {vm.monitor}")
        else:
            vm.wait_exit(120)
    finally:
        watcher.done.set()
        if not keep_vm:
            vm.stop()
    facts["markers_s"] = vm.markers
    facts["mark_offsets"] = watcher.offsets
    facts["total_s"] = round(time.monotonic() - started)
    out = vm.job_output(run_dir / "vm-job-out")
    for run in runs:
        own = reports_dir / run.run_id
        inside = out / "reports" / run.run_id
        if inside.is_dir():
            shutil.copytree(inside, own, dirs_exist_ok=True)
        if run.killed:
            run.problems = _watchdog_verdict(own, run.restored_s)
            for problem in run.problems:
                progress(f"[vm] harness killed: {problem}")
            continue
        if (own / "results.json").exists():
            failed = _host_verdicts(own, vm, watcher.offsets.get(run.run_id, {}), facts)
            if failed and run.exit_status == 0:
                run.exit_status = 1
        if run.faults:
            record = own / "results.json"
            results = json.loads(record.read_text())["results"] if record.exists() else []
            # A fault of a profile the guest did not find (virgl's, on vm-2d) breaks nothing
            # there that its check expects: it is named, not judged.
            judged = [f for f in run.faults if f.profile in ("", facts.get("profile"))]
            for fault in (f for f in run.faults if f not in judged):
                progress(f"[vm] fault {fault.name}: not judged, it needs the {fault.profile} "
                         f"profile; the guest found {facts.get('profile')}")  # fmt: skip
            run.problems = judge_seat(judged, results)
            for problem in run.problems:
                progress(f"[vm] fault run: {problem}")
            if not run.problems:
                progress(f"[vm] fault {run.name}: failed its checks as it must")
    facts["runs"] = [
        {"run_id": r.run_id, "faults": [f.name for f in r.faults],
         "exit_status": r.exit_status, "problems": r.problems}
        for r in runs
    ]  # fmt: skip
    (run_dir / "vm.json").write_text(json.dumps(facts, indent=1))
    return VmRun(runs, facts)


def _host_verdicts(
    run_dir: Path, vm: Vm, offsets: dict[str, int], vm_facts: dict[str, object]
) -> bool:
    """What only the host saw joins the run's own results, and the report is written again:
    the sound card's wav for the card-tone check, the display after the run. True where a
    host verdict failed."""
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
    ran = str(summary.get("profile") or "")
    replayed = _replay_recording(run_dir / recorder.ARCHIVE, ran)
    given = _gpu_as_given(str(vm_facts.get("gpu", "")), ran)
    results += [shown, replayed, given]
    failed |= "failed" in (shown["outcome"], replayed["outcome"], given["outcome"])
    reports.write_run(run_dir, facts, results, summary.get("leftovers") or [])
    return failed


def _watchdog_verdict(run_dir: Path, restored_s: str) -> list[str]:
    """The run whose harness was killed: its watchdog must have given the console back within
    the deadline, as a person sees it (the display's login prompt). Both join the aborted
    run's record (results.json, which the watchdog wrote)."""
    shown = _login_on_display(run_dir / "vm-screen-after.png")
    seconds = float(restored_s) if re.fullmatch(r"[\d.]+", restored_s) else None
    in_time = seconds is not None and seconds <= WATCHDOG_DEADLINE
    timed: dict[str, object] = {
        "test": "host::test_teardown_watchdog_gives_the_console_back", "phase": "call",
        "outcome": "passed" if in_time else "failed",
        "message": "" if in_time else (
            f"expected the watchdog to give the console back (tty1 active, text mode) within "
            f"{WATCHDOG_DEADLINE:.0f} s of the harness's SIGKILL; found {restored_s or 'no answer'}"
        ),
        "duration_s": seconds, "evidence": {"console_back_s": restored_s},
    }  # fmt: skip
    record = run_dir / "results.json"
    summary = json.loads(record.read_text()) if record.exists() else {"results": []}
    summary["results"] = [*summary.get("results", []), timed, shown]
    record.write_text(json.dumps(summary, indent=2) + "\n")
    problems = []
    if not summary.get("aborted"):
        problems.append("expected the watchdog's record of an aborted run; found none")
    problems += [str(e["message"]) for e in (timed, shown) if e["outcome"] != "passed"]
    return problems


def _gpu_as_given(gpu: str, ran: str) -> dict[str, object]:
    """The GPU qemu gave the VM is the one the guest found: with virgl, virtio_gpu must have
    negotiated 3D in the guest (its profile vm), without it not (vm-2d). A guest kernel or
    host library that drops virgl on the way shows here."""
    want = PROFILE_FOR_GPU.get(gpu, "")
    ok = bool(want) and ran == want
    return {
        "test": "host::test_glx_guest_finds_the_gpu_qemu_gave", "phase": "call",
        "outcome": "passed" if ok else "failed", "duration_s": 0.0,
        "message": "" if ok else (
            f"expected the guest's devices to fit the {want or '?'} profile (qemu gave it "
            f"{gpu or 'no GPU'}); found the run on {ran or 'no profile'}"
        ),
        "evidence": {"qemu_gpu": gpu, "guest_profile": ran}, "family": "glx",
    }  # fmt: skip


def _replay_recording(archive: Path, ran: str) -> dict[str, object]:
    """The run's record of the VM (record-machine's archive, written inside), replayed here:
    the doctor's verdict over it must be the one the run was made on (vm or vm-2d)."""
    started = time.monotonic()
    entry: dict[str, object] = {"test": "host::test_record_machine_replays_to_vm", "phase": "call"}
    if not archive.exists():
        outcome, message, evidence = (
            "failed",
            (f"expected the run's machine recording {archive.name}; found none"),
            {},
        )
    else:
        fit = recorder.replay(archive)
        evidence = {"profile": fit.profile, "reasons": list(fit.reasons)}
        ok = bool(ran) and fit.profile == ran
        outcome = "passed" if ok else "failed"
        message = (
            ""
            if ok
            else (
                f"expected the recorded VM to replay to the {ran or '?'} profile it ran on; "
                f"found {fit.describe()}"
            )
        )
    entry.update(outcome=outcome, message=message, evidence=evidence,
                 duration_s=round(time.monotonic() - started, 3))  # fmt: skip
    return entry


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
            f"the VM's display); found {' | '.join(lines[:3]) or 'no text (a blank screen)'}"
        )  # fmt: skip
    entry.update(
        outcome="failed" if message else "passed", message=message,
        duration_s=round(time.monotonic() - started, 3),
        evidence={"display_text": text.strip()[:500], "screendump": screen.name},
    )  # fmt: skip
    return entry
