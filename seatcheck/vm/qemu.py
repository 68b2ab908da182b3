"""Booting the VM: qemu with KVM where it works, software emulation otherwise; a virgl GPU
(virtio-vga-gl: the guest's GL runs on the host through virglrenderer, in qemu's SDL window on
an Xvfb of the host's) where qemu can have one, plain virtio-vga otherwise (either is a DRM
card with fbcon VTs); intel-hda with hda-output into a wav file on the host, the serial
console logged to the run's folder, the monitor on a socket (for ``screendump``), user-mode
networking. The job goes in on a second small disk and its output comes back on it.

qemu and the Xvfb each run in a session of their own, and their pids are recorded under the
state dir with the run's session, so that teardown, the watchdog and ``seatcheck reap`` can
end them.
"""

from __future__ import annotations

import contextlib
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

from PIL import ImageGrab

from .. import engine
from ..errors import EngineUnavailable, SetupError
from ..waits import WaitTimeout, wait_for
from . import tracking
from .disk import VmDisk

MEMORY_MB = 4096
CPUS = 2
JOB_DISK_SIZE = "512M"
# Kernel messages on the serial console only: tty1 shows getty's prompt alone, as a person
# (and the screendump) would see it. apparmor=0: Debian's dockerd wants apparmor's package
# when the kernel has it on.
# SELinux, not AppArmor (Debian's kernel lists apparmor first): the recipe's machines run it
# enforcing; the disk is labelled and /etc/selinux/config says enforcing.
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0,115200 apparmor=0 security=selinux"
# SEATCHECK_VM_SELINUX=permissive boots with enforcing=0: every denial logged, none enforced
# (to collect what a policy change must allow in one run; the checks still fail on them).
SELINUX_ENV = "SEATCHECK_VM_SELINUX"
# SEATCHECK_VM_GPU=virtio-vga boots without virgl; anything else tries virgl first.
GPU_ENV = "SEATCHECK_VM_GPU"
# qemu's SDL window with GL, in Debian's qemu-system-gui (which also links virglrenderer).
QEMU_SDL_UI = "/usr/lib/x86_64-linux-gnu/qemu/ui-sdl.so"
FIRST_DISPLAY = 90  # well above :0 and the few a person's own X servers take
XVFB_START_TIMEOUT = 15.0
# A qemu that cannot have its GL display or virtio-vga-gl exits while it starts.
VIRGL_WATCH_S = 5.0


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


def free_display_number(first: int = FIRST_DISPLAY) -> int:
    """The first X display number from ``first`` up that no server holds (no socket and no
    lock file)."""
    for number in range(first, first + 100):
        if not any(
            Path(held).exists() for held in (f"/tmp/.X11-unix/X{number}", f"/tmp/.X{number}-lock")
        ):
            return number
    raise SetupError("vm", f"no free X display from :{first} to :{first + 99}")


@dataclass
class GlDisplay:
    """The X server on the host that qemu's SDL window (and so virglrenderer, the guest's GL)
    draws on: an Xvfb, whose GLX is Mesa's on the host. ``-display egl-headless`` would need
    a DRM render node, which this host has none of."""

    run_dir: Path
    session: str
    number: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f":{self.number}"

    @property
    def log(self) -> Path:
        return self.run_dir / "vm-xvfb.log"

    def start(self, timeout: float = XVFB_START_TIMEOUT) -> None:
        engine.ensure_host_packages({"Xvfb": "xvfb", QEMU_SDL_UI: "qemu-system-gui"})
        self.number = free_display_number()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                ["Xvfb", self.name, "-screen", "0", "1280x800x24", "+extension", "GLX",
                 "-nolisten", "tcp"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        tracking.record(self.session, self.proc.pid)
        proc, socket_path = self.proc, Path(f"/tmp/.X11-unix/X{self.number}")
        try:
            wait_for(
                socket_path.exists, timeout, f"Xvfb's socket {socket_path}", interval=0.1,
                abort=lambda: f"it exited ({proc.returncode})" if proc.poll() is not None else None,
            )  # fmt: skip
        except WaitTimeout as exc:
            self.stop()
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
            raise SetupError(
                "vm", f"the host's Xvfb {self.name} did not come up: {exc}", tail
            ) from None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def kernel_args() -> str:
    permissive = os.environ.get(SELINUX_ENV) == "permissive"
    return KERNEL_ARGS + (" enforcing=0" if permissive else "")


@dataclass
class Vm:
    disk: VmDisk
    run_dir: Path
    session: str
    accel: str = "tcg"
    accel_why: str = ""
    gpu: str = ""  # virgl or virtio-vga, once booted
    gpu_why: str = ""
    display: GlDisplay | None = None  # the host's X server for virgl
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

    @property
    def qemu_log(self) -> Path:
        return self.run_dir / "vm-qemu.log"

    def command(self) -> list[str]:
        accel = "kvm" if self.accel == "kvm" else "tcg,thread=multi"
        if self.gpu == "virgl":
            gpu = ["-device", "virtio-vga-gl", "-display", "sdl,gl=on"]
        else:
            gpu = ["-device", "virtio-vga", "-display", "none"]
        return [
            "qemu-system-x86_64", "-accel", accel, "-smp", str(CPUS), "-m", str(MEMORY_MB),
            "-kernel", str(self.disk.kernel), "-initrd", str(self.disk.initrd),
            "-append", kernel_args(),
            # snapshot=on: the cached disk stays as made; the run's writes go to a temp file.
            "-drive", f"file={self.disk.image},if=virtio,format=raw,snapshot=on",
            "-drive", f"file={self.job_disk},if=virtio,format=raw",
            *gpu,
            "-audiodev", f"wav,id=snd0,path={self.wav}",
            "-device", "intel-hda", "-device", "hda-output,audiodev=snd0",
            "-serial", f"file:{self.serial_log}",
            "-monitor", f"unix:{self.monitor},server,nowait",
            "-nic", "user,model=virtio-net-pci",
            "-no-reboot",
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
        """Boot with virgl where qemu can have it, else with plain virtio-vga; ``gpu`` and
        ``gpu_why`` say which and why."""
        self.choose_accel()
        self.make_job_disk(script, fill)
        if os.environ.get(GPU_ENV) == "virtio-vga":
            why_not: str | None = f"asked for by {GPU_ENV}"
        else:
            why_not = self._boot_virgl()
        if why_not is not None:
            self.gpu, self.gpu_why = "virtio-vga", why_not
            self._start_qemu()

    def _boot_virgl(self) -> str | None:
        """Start qemu with virtio-vga-gl on an Xvfb of the host's: None once it runs, else
        why virgl could not be had (nothing of the try left running)."""
        display = GlDisplay(self.run_dir, self.session)
        try:
            display.start()
        except SetupError as exc:
            return f"virgl could not be had: {exc.message}"
        # No Xvfb or qemu-system-gui, and no right (or no luck) installing them
        except (EngineUnavailable, subprocess.SubprocessError) as exc:
            return f"virgl could not be had: {exc}"
        self.display, self.gpu = display, "virgl"
        proc = self._start_qemu()
        try:
            proc.wait(timeout=VIRGL_WATCH_S)
        except subprocess.TimeoutExpired:
            self.gpu_why = f"virtio-vga-gl through an Xvfb on the host ({display.name})"
            return None
        lines = self.qemu_log.read_text(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"qemu exited ({proc.returncode})"
        # The plain boot writes vm-qemu.log afresh; the failed try's stays beside it.
        self.qemu_log.rename(self.run_dir / "vm-qemu-virgl.log")
        display.stop()
        self.display = None
        return f"virgl could not be had: {reason}"

    def _start_qemu(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ, DISPLAY=self.display.name) if self.display else None
        self.started = time.monotonic()
        with self.qemu_log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=subprocess.DEVNULL, stderr=log, env=env,
                start_new_session=True,
            )  # fmt: skip
        tracking.record(self.session, self.proc.pid)
        return self.proc

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
        """The VM's display as a picture. With virgl the guest's scanout is a GL texture that
        qemu 7.2's ``screendump`` does not read (measured: no file), so the picture is taken
        from qemu's window, on the host's Xvfb: what a person at that display would see."""
        if self.display is not None:
            with contextlib.suppress(OSError):
                ImageGrab.grab(xdisplay=self.display.name).save(dest, "PPM")
            return dest
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
        if self.display is not None:
            self.display.stop()
        tracking.forget(self.session)

    def job_output(self, dest: Path) -> Path:
        """What the job left on its disk (read with debugfs: nothing is mounted)."""
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["debugfs", "-R", f"rdump /out {dest}", str(self.job_disk)],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        return dest / "out"
