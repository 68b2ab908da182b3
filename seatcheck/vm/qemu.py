"""Booting the VM: qemu with KVM where it works, software emulation otherwise; virtio-vga (a
DRM card and fbcon VTs), intel-hda with hda-output into a wav file on the host, the serial
console logged to the run's folder, the monitor on a socket (for ``screendump``), user-mode
networking. The job goes in on a second small disk and its output comes back on it.

qemu runs in a session of its own, and its pid is recorded under the state dir with the run's
session, so that teardown, the watchdog and ``seatcheck reap`` can end it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import engine
from ..errors import SetupError
from . import tracking
from .disk import VmDisk

MEMORY_MB = 4096
CPUS = 2
JOB_DISK_SIZE = "512M"
# Kernel messages on the serial console only: tty1 shows getty's prompt alone, as a person
# (and the screendump) would see it. apparmor=0: Debian's dockerd wants apparmor's package
# when the kernel has it on.
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0,115200 apparmor=0"


def kvm_usable(kernel: Path, within: float = 10.0) -> tuple[bool, str]:
    """Whether KVM can run this VM's kernel here, and why not. An open /dev/kvm and a qemu
    that starts are not enough: here a KVM guest spins without printing a line (measured:
    nothing on the serial console in 30 s, 30 s of system time). So the kernel is booted
    with KVM and must print its first line within ``within`` seconds."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "no usable /dev/kvm"
    with tempfile.TemporaryDirectory(prefix="seatcheck-kvm-") as tmp:
        serial = Path(tmp) / "serial.log"
        proc = subprocess.Popen(
            ["qemu-system-x86_64", "-accel", "kvm", "-m", "512", "-kernel", str(kernel),
             "-append", "console=ttyS0 panic=-1", "-display", "none", "-monitor", "none",
             "-serial", f"file:{serial}", "-nodefaults", "-no-reboot"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + within
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                if serial.exists() and b"Linux version" in serial.read_bytes():
                    return True, "KVM boots the VM's kernel"
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        return False, (
            f"qemu with KVM printed no kernel line within {within:.0f} s"
            + (f" ({err.splitlines()[-1]})" if err else "")
        )


@dataclass
class Vm:
    disk: VmDisk
    run_dir: Path
    session: str
    accel: str = "tcg"
    accel_why: str = ""
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    markers: dict[str, float] = field(default_factory=dict)

    @property
    def serial_log(self) -> Path:
        return self.run_dir / "vm-serial.log"

    @property
    def wav(self) -> Path:
        return self.run_dir / "vm-sound.wav"

    @property
    def monitor(self) -> Path:
        return self.run_dir / "vm-monitor.sock"

    @property
    def job_disk(self) -> Path:
        return self.run_dir / "vm-job.img"

    def command(self) -> list[str]:
        accel = "kvm" if self.accel == "kvm" else "tcg,thread=multi"
        return [
            "qemu-system-x86_64", "-accel", accel, "-smp", str(CPUS), "-m", str(MEMORY_MB),
            "-kernel", str(self.disk.kernel), "-initrd", str(self.disk.initrd),
            "-append", KERNEL_ARGS,
            # snapshot=on: the cached disk stays as made; the run's writes go to a temp file.
            "-drive", f"file={self.disk.image},if=virtio,format=raw,snapshot=on",
            "-drive", f"file={self.job_disk},if=virtio,format=raw",
            "-device", "virtio-vga",
            "-audiodev", f"wav,id=snd0,path={self.wav}",
            "-device", "intel-hda", "-device", "hda-output,audiodev=snd0",
            "-serial", f"file:{self.serial_log}",
            "-monitor", f"unix:{self.monitor},server,nowait",
            "-nic", "user,model=virtio-net-pci",
            "-display", "none", "-no-reboot",
        ]  # fmt: skip

    def make_job_disk(self, script: str, fill: Callable[[Path], None]) -> None:
        """The second disk: ``run.sh`` for the VM's job unit, what ``fill`` puts beside it
        (the checkout), and room for the job's output."""
        folder = self.run_dir / "vm-job"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run.sh").write_text(script)
        fill(folder)
        subprocess.run(
            ["mkfs.ext4", "-q", "-F", "-d", str(folder), str(self.job_disk), JOB_DISK_SIZE],
            check=True, timeout=120, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def choose_accel(self) -> str:
        """KVM where it boots the kernel here, software emulation otherwise (and why)."""
        if not self.accel_why:
            engine.ensure_host_packages({"qemu-system-x86_64": "qemu-system-x86"})
            usable, why = kvm_usable(self.disk.kernel)
            self.accel, self.accel_why = ("kvm", why) if usable else ("tcg", why)
        return self.accel

    def boot(self, script: str, fill: Callable[[Path], None]) -> None:
        self.choose_accel()
        self.make_job_disk(script, fill)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL,
            stderr=open(self.run_dir / "vm-qemu.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )  # fmt: skip
        tracking.record(self.session, self.proc.pid)

    def wait_marker(self, pattern: str, timeout: float) -> re.Match[str]:
        """Wait for ``pattern`` on the serial console; a VM that stops, or the deadline,
        stops the run with the serial console's last lines."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            text = self.serial_log.read_text(errors="replace") if self.serial_log.exists() else ""
            found = rx.search(text)
            if found:
                self.markers[pattern] = round(time.monotonic() - self.started, 1)
                return found
            assert self.proc is not None
            gone = self.proc.poll() is not None
            if gone or time.monotonic() > deadline:
                why = "qemu exited" if gone else f"no {pattern!r} within {timeout:.0f} s"
                tail = "\n".join(text.splitlines()[-25:])
                raise SetupError("vm", f"the VM did not come up: {why}", tail)
            time.sleep(0.5)

    def monitor_command(self, line: str, timeout: float = 20) -> str:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.monitor))
            sock.recv(4096)  # the banner and prompt
            sock.sendall(line.encode() + b"\n")
            time.sleep(0.5)
            return sock.recv(65536).decode(errors="replace")

    def screendump(self, dest: Path) -> Path:
        self.monitor_command(f"screendump {dest}")
        deadline = time.monotonic() + 10
        while not dest.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return dest

    def wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise SetupError("vm", f"the VM did not power off within {timeout:.0f} s") from None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        tracking.forget(self.session)

    def job_output(self, dest: Path) -> Path:
        """What the job left on its disk (read with debugfs: nothing is mounted)."""
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["debugfs", "-R", f"rdump /out {dest}", str(self.job_disk)],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        return dest / "out"
