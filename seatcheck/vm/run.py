"""``seatcheck vm``: make (or reuse) the VM disk, boot it, run the ``vm`` profile inside with
Xorg on a real VT, and bring the run's report back into ``reports/<run id>/``, with what only
the host can see: the sound card's wav file, the serial console and the VM's own display."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .. import engine, profile, roles
from ..config import SeatConfig
from ..images import APPBASE, ImageBuilder, Progress
from ..labels import new_run_id
from .disk import CHECKOUT, build
from .qemu import Vm

BOOT_TIMEOUT = 300.0
RUN_TIMEOUT = 1500.0
PROFILE = "vm"

JOB = """set -u
export PYTHONPATH={checkout}/site-packages:{checkout}
cd {checkout}
echo "seatcheck-vm: job-start $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
timeout {timeout} python3 -m seatcheck run {profile} --run-id {run_id} \\
  --reports /job/out/reports -- -p no:cacheprovider {pytest_args}
code=$?
echo "seatcheck-vm: run-exit $code $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
# The host looks at the display now (qemu's screendump): the console as the seat left it.
sleep 10
"""


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
    disk = build(client, images_for_vm(builder), checkout, progress)
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    vm = Vm(disk, run_dir, session=run_id)
    facts: dict[str, object] = {
        "disk": disk.recipe,
        "disk_s": round(time.monotonic() - disk_started),
    }
    job = JOB.format(
        checkout=CHECKOUT, timeout=int(RUN_TIMEOUT), profile=PROFILE, run_id=run_id,
        pytest_args=" ".join(pytest_args),
    )  # fmt: skip
    code: int | None = None
    try:
        vm.boot(job)
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
        if not keep_vm:
            vm.stop()
    facts["markers_s"] = vm.markers
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
    return VmRun(run_id, run_dir, code, facts)
