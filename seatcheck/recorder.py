"""``seatcheck record-machine``: what the harness reads from a machine, in one archive that can
be replayed elsewhere (``seatcheck doctor --replay``) to give the same verdict.

The archive holds the DRM, sound and input devices (and a virtio GPU's virtio device) as a
umockdev recording (sysfs attributes, properties and nodes, parents included), the /proc files
the harness reads, glxinfo -B and the X log where the host has them, and the group file's
audio/video/render lines. Serial numbers, MAC addresses and EDID serials are redacted first.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from . import machine
from .errors import SeatcheckError

ARCHIVE = "machine.tar.gz"  # its name in a run's report folder
DEVICES_FILE = "devices.umockdev"
PROC_FILES = ("asound/cards", "driver/nvidia/version")
X_LOGS = (Path("/var/log/Xorg.0.log"),)
GROUPS = ("audio", "video", "render", "input")
VIRTIO_GPU_ID = "0x0010"  # the virtio device id of a GPU
REDACTED = "REDACTED"
# umockdev lines that carry serials or addresses: attributes (A:), properties (E:).
_SECRET_LINE = re.compile(
    r"^(?P<head>(?:A|E): (?:serial|unique_id|address|perm_address|ID_SERIAL\w*|ID_NET_NAME_MAC"
    r"|ID_USB_SERIAL\w*|ID_NET_NAME_PATH|ID_PATH_WITH_USB_REVISION|SERIAL\w*|ID_SERIAL_SHORT)=)"
    r".*$",
    re.M,
)


def sysfs_devices(sys_root: Path = Path("/sys")) -> list[str]:
    """The sysfs devices to record: DRM cards and render nodes, sound cards and their
    controls, input event devices (their parents come with them)."""
    found = []
    for pattern in ("class/drm/card[0-9]*", "class/drm/renderD*", "class/sound/card*",
                    "class/sound/controlC*", "class/input/event*"):  # fmt: skip
        found += [str(p) for p in sorted(sys_root.glob(pattern)) if "-" not in p.name]
    # A virtio GPU's virtio device, whose negotiated features say whether it has 3D (virgl):
    # not a parent of its DRM nodes where those hang off the PCI function (virtio-vga-gl).
    found += [
        str(p) for p in sorted(sys_root.glob("bus/virtio/devices/virtio[0-9]*"))
        if (p / "device").is_file() and (p / "device").read_text().strip() == VIRTIO_GPU_ID
    ]  # fmt: skip
    return found


def redact_edid(hexdata: str) -> str:
    """An EDID with its serial number (bytes 12 to 15) and any serial-string descriptor (tag
    0xFF) zeroed; the rest, the maker and model the harness may read, kept."""
    data = bytearray.fromhex(hexdata)
    if len(data) >= 16:
        data[12:16] = bytes(4)
    for start in range(54, min(len(data), 126), 18):  # the four 18-byte descriptors
        if data[start : start + 4] == b"\x00\x00\x00\xff":
            data[start + 5 : start + 18] = b"\x0a" + b"\x20" * 12
    return data.hex()


def redact(recording: str) -> str:
    text = _SECRET_LINE.sub(lambda m: m.group("head") + REDACTED, recording)
    return re.sub(
        r"^(H: edid=)([0-9A-Fa-f]+)$",
        lambda m: m.group(1) + redact_edid(m.group(2)).upper(),
        text,
        flags=re.M,
    )


def _umockdev_record(devices: list[str]) -> str:
    if not devices:
        return ""
    if not shutil.which("umockdev-record"):
        from . import engine

        engine.ensure_host_packages({"umockdev-record": "umockdev"})
    proc = subprocess.run(
        ["umockdev-record", *devices], capture_output=True, text=True, timeout=60
    )  # fmt: skip
    if proc.returncode != 0:
        raise SeatcheckError(f"umockdev-record failed: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def _glxinfo() -> str:
    if not shutil.which("glxinfo") or not os.environ.get("DISPLAY"):
        return ""
    try:
        return subprocess.run(
            ["glxinfo", "-B"], capture_output=True, text=True, timeout=20
        ).stdout  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""


def group_lines(text: str) -> str:
    return "".join(f"{line}\n" for line in text.splitlines() if line.split(":")[0] in GROUPS)


def record(out: Path, sys_root: Path = Path("/sys"), proc_root: Path = Path("/proc")) -> Path:
    """Write the archive (a .tar.gz) and return its path."""
    files: dict[str, str] = {
        DEVICES_FILE: redact(_umockdev_record(sysfs_devices(sys_root))),
        "group": group_lines(Path("/etc/group").read_text()),
    }
    for name in PROC_FILES:
        path = proc_root / name
        if path.exists():
            files[f"proc/{name}"] = path.read_text()
    glx = _glxinfo()
    if glx:
        files["glxinfo-B.txt"] = glx
    for log in X_LOGS:
        if log.exists():
            files[log.name] = log.read_text(errors="replace")
    found = machine.discover(sys_root, Path("/dev"), proc_root)
    files["machine.json"] = json.dumps(
        {"machine": found.as_dict(), "fit": machine.fitting_profile(found).describe(),
         "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
         "kernel": os.uname().release},
        indent=1,
    )  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            archive.addfile(info, io.BytesIO(data))
    return out


def replay(archive: Path, pci_address: str = "") -> machine.Fit:
    """The doctor's verdict over a recorded machine: its devices in a umockdev testbed (which
    fakes /sys and /dev for the process it wraps), its /proc files from the archive."""
    with tempfile.TemporaryDirectory(prefix="seatcheck-replay-") as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        return fit_in_testbed(Path(tmp) / DEVICES_FILE, Path(tmp) / "proc", pci_address)


def fit_in_testbed(devices: Path, proc_root: Path, pci_address: str = "") -> machine.Fit:
    """Discovery and the doctor's choice run under ``umockdev-run`` over a recording."""
    if not shutil.which("umockdev-run"):
        from . import engine

        engine.ensure_host_packages({"umockdev-run": "umockdev"})
    proc = subprocess.run(
        ["umockdev-run", "-d", str(devices), "--", sys.executable, "-m", "seatcheck.machine",
         str(proc_root), pci_address],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SeatcheckError(f"replay under umockdev-run failed: {proc.stderr.strip()[-500:]}")
    return machine.fit_from_json(proc.stdout)
