"""The machine's console (VTs): snapshot it before a seat starts, check it and restore it after.

A desktop container that takes a VT (Xorg) leaves it in graphics mode with the keyboard off
when it dies; switching away from a VT in KD_GRAPHICS then blocks (VT_WAITACTIVE never
returns). So restore goes text mode first, then keyboard mode, then VT mode, then activates
the original VT, and every wait has a deadline. Reads need no privilege; repairs need root.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

# linux/kd.h and linux/vt.h
KDGETMODE, KDSETMODE = 0x4B3B, 0x4B3A
KDGKBMODE, KDSKBMODE = 0x4B44, 0x4B45
VT_OPENQRY, VT_GETMODE, VT_SETMODE = 0x5600, 0x5601, 0x5602
VT_ACTIVATE, VT_WAITACTIVE = 0x5606, 0x5607
KD_MODES = {0: "KD_TEXT", 1: "KD_GRAPHICS", 2: "KD_TEXT0", 3: "KD_TEXT1"}
KB_MODES = {0: "K_RAW", 1: "K_XLATE", 2: "K_MEDIUMRAW", 3: "K_UNICODE", 4: "K_OFF"}
VT_MODES = {0: "VT_AUTO", 1: "VT_PROCESS"}
ACTIVE = Path("/sys/class/tty/tty0/active")
SNAPSHOTS = Path("/var/lib/seatcheck/console")
LOGIN_VT = 1  # never touched by seatcheck except to switch back to it


@dataclass(frozen=True)
class VtState:
    vt: int
    kd_mode: int
    kb_mode: int
    vt_mode: int

    def describe(self) -> str:
        kd = KD_MODES.get(self.kd_mode, str(self.kd_mode))
        kb = KB_MODES.get(self.kb_mode, str(self.kb_mode))
        mode = VT_MODES.get(self.vt_mode, str(self.vt_mode))
        return f"tty{self.vt}: {kd}, keyboard {kb}, {mode}"


@dataclass
class ConsoleSnapshot:
    active: int  # 0 where the machine has no VTs
    vts: dict[int, VtState] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"active": self.active, "vts": {str(k): asdict(v) for k, v in self.vts.items()}}
        )

    @classmethod
    def from_json(cls, text: str) -> ConsoleSnapshot:
        doc = json.loads(text)
        return cls(doc["active"], {int(k): VtState(**v) for k, v in doc["vts"].items()})


def has_vts() -> bool:
    return ACTIVE.exists() and Path("/dev/tty0").exists()


def active_vt() -> int:
    match = re.fullmatch(r"tty(\d+)", ACTIVE.read_text().strip()) if ACTIVE.exists() else None
    return int(match.group(1)) if match else 0


def _open(vt: int, write: bool = False) -> int:
    flags = (os.O_RDWR if write else os.O_RDONLY) | os.O_NOCTTY | os.O_NONBLOCK
    return os.open(f"/dev/tty{vt}", flags)


def _get_int(fd: int, request: int) -> int:
    buf = bytearray(4)
    fcntl.ioctl(fd, request, buf)
    return int(struct.unpack("i", buf)[0])


def read_vt(vt: int) -> VtState:
    fd = _open(vt)
    try:
        vt_mode = bytearray(8)
        fcntl.ioctl(fd, VT_GETMODE, vt_mode)
        return VtState(vt, _get_int(fd, KDGETMODE), _get_int(fd, KDGKBMODE), vt_mode[0])
    finally:
        os.close(fd)


def allocated_vts(sysfs: Path = Path("/sys/class/vc")) -> set[int]:
    """The VTs the kernel has allocated (each has a ``vcsN`` screen device); reading their
    state needs no write and allocates nothing new."""
    found = set()
    for entry in sysfs.glob("vcs*") if sysfs.is_dir() else []:
        match = re.fullmatch(r"vcs(\d+)", entry.name)
        if match and int(match.group(1)) > 0:
            found.add(int(match.group(1)))
    return found


def vts_of_devices(devices: list[str] | tuple[str, ...]) -> set[int]:
    """The VTs a seat can touch through the device nodes it is given."""
    found = set()
    for dev in devices:
        match = re.fullmatch(r"/dev/tty(\d+)", dev)
        if match and int(match.group(1)) > 0:
            found.add(int(match.group(1)))
    return found


def first_free_vt(lowest: int = 2) -> int:
    """The first VT no process holds open (the kernel's VT_OPENQRY), never below ``lowest``:
    tty1 is the login console of a machine someone is using. Reads only."""
    fd = _open(0)
    try:
        found = _get_int(fd, VT_OPENQRY)
    finally:
        os.close(fd)
    if found < 1:
        raise OSError("no free VT (VT_OPENQRY found none)")
    if found >= lowest:
        return found
    for vt in range(lowest, 64):  # the kernel's answer is below the floor: look above it
        if vt not in allocated_vts():
            return vt
    raise OSError(f"no free VT at or above tty{lowest}")


def snapshot(vts: set[int]) -> ConsoleSnapshot:
    """The active VT and the state of ``vts`` and the active one (reads only)."""
    if not has_vts():
        return ConsoleSnapshot(0)
    active = active_vt()
    return ConsoleSnapshot(active, {vt: read_vt(vt) for vt in sorted(vts | {active})})


def differences(before: ConsoleSnapshot, now: ConsoleSnapshot) -> list[str]:
    """What differs between two snapshots, one line per problem, naming the VT and modes."""
    problems = []
    if before.active != now.active:
        problems.append(f"active VT is tty{now.active}, expected tty{before.active}")
    for vt, was in before.vts.items():
        cur = now.vts.get(vt)
        if cur is None:
            problems.append(f"tty{vt}: not read")
        elif cur != was:
            problems.append(f"{cur.describe()}; expected {was.describe().split(': ', 1)[1]}")
    return problems


def _set(fd: int, request: int, value: int) -> None:
    fcntl.ioctl(fd, request, value)


def activate(vt: int, timeout: float = 5.0) -> None:
    """VT_ACTIVATE then VT_WAITACTIVE, in a child process killed at the deadline (the wait
    blocks forever when the current VT refuses to switch)."""
    code = (
        "import fcntl, os, sys; n = int(sys.argv[1]); "
        "fd = os.open('/dev/tty0', os.O_RDWR | os.O_NOCTTY); "
        f"fcntl.ioctl(fd, {VT_ACTIVATE}, n); fcntl.ioctl(fd, {VT_WAITACTIVE}, n)"
    )
    try:
        subprocess.run([sys.executable, "-c", code, str(vt)], timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"switching to tty{vt} did not finish within {timeout:g}s") from None


def restore(before: ConsoleSnapshot, timeout: float = 5.0) -> list[str]:
    """Put every snapshotted VT back: text mode first, then keyboard mode, then VT mode, then
    the original active VT. Returns what it changed; a step that fails does not stop the
    others, and the failures are raised together at the end."""
    done: list[str] = []
    failed: list[str] = []
    if not before.vts:
        return done
    for vt, was in before.vts.items():
        cur = read_vt(vt)
        if cur == was:
            continue
        fd = _open(vt, write=True)
        try:
            if cur.kd_mode != was.kd_mode:
                _set(fd, KDSETMODE, was.kd_mode)
            if cur.kb_mode != was.kb_mode:
                _set(fd, KDSKBMODE, was.kb_mode)
            if cur.vt_mode != was.vt_mode and was.vt_mode == 0:
                # VT_AUTO; VT_PROCESS belongs to its owner alone. VT_SETMODE takes a pointer
                # to struct vt_mode {char mode, waitv; short relsig, acqsig, frsig}: an int
                # there is EFAULT (measured in the VM, after Xorg died holding VT_PROCESS).
                fcntl.ioctl(fd, VT_SETMODE, struct.pack("bbhhh", 0, 0, 0, 0, 0))
        except OSError as exc:
            failed.append(f"tty{vt}: {exc}")
        finally:
            os.close(fd)
        done.append(f"tty{vt}: {cur.describe().split(': ', 1)[1]} -> {read_vt(vt).describe()}")
    if before.active and active_vt() != before.active:
        activate(before.active, timeout)
        done.append(f"activated tty{before.active}")
    if failed:
        raise OSError("; ".join(failed) + f" (done: {'; '.join(done) or 'nothing'})")
    return done


def save(session: str, snap: ConsoleSnapshot, folder: Path = SNAPSHOTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session}.json"
    path.write_text(snap.to_json())
    return path


def load(session: str | None = None, folder: Path = SNAPSHOTS) -> tuple[str, ConsoleSnapshot]:
    """A saved snapshot: the session's, or the newest one."""
    if session:
        path = folder / f"{session}.json"
        if not path.is_file():
            raise FileNotFoundError(f"no console snapshot for run {session} in {folder}")
    else:
        saved = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        if not saved:
            raise FileNotFoundError(f"no console snapshot in {folder}")
        path = saved[-1]
    return path.stem, ConsoleSnapshot.from_json(path.read_text())


def forget(session: str, folder: Path = SNAPSHOTS) -> None:
    (folder / f"{session}.json").unlink(missing_ok=True)


def screen_text(vt: int) -> list[str]:
    """What VT ``vt`` shows as text (``/dev/vcsN``, its size from ``/dev/vcsaN``): the
    kernel's copy of the screen, non-blank lines only. Reads only."""
    with open(f"/dev/vcsa{vt}", "rb") as attrs:
        rows, cols = attrs.read(2)
    with open(f"/dev/vcs{vt}", "rb") as text:
        data = text.read(rows * cols).decode("latin-1")
    lines = (data[i : i + cols].rstrip() for i in range(0, len(data), cols))
    return [line for line in lines if line]


def getty_state(vt: int = LOGIN_VT) -> str | None:
    """``systemctl is-active getty@ttyN`` where the host runs systemd, else None."""
    if not Path("/run/systemd/system").is_dir() or not shutil.which("systemctl"):
        return None
    result = subprocess.run(
        ["systemctl", "is-active", f"getty@tty{vt}.service"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return result.stdout.strip()
