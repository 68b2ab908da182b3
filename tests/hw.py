"""Recorded machines (tests/data/hw/<machine>/, each file from a real machine's public data,
cited in its README) turned into umockdev testbeds, built from their recorded attributes only.

What public reports have is mostly lspci, glxinfo, X logs and /proc files, not sysfs trees. The
testbed takes from them: each display-class PCI function (address, class, vendor and device
ids, bound kernel driver) from lspci; ids that lspci lacks from glxinfo's "Extended renderer
info" of the same machine; the boot VGA device from the X log's ``PCI:*`` line; sound cards from
/proc/asound/cards. Where the source names no DRM node numbers, cards and render nodes are
numbered in PCI order, as the kernel probes them (stated again in tests/data/hw/README.md).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from seatcheck import machine

HW = Path(__file__).resolve().parent / "data" / "hw"
DRM_DRIVERS = ("i915", "xe", "amdgpu", "radeon", "nouveau", "nvidia", "virtio-pci")
CLASSES = {
    "VGA compatible controller": "0x030000",
    "3D controller": "0x030200",
    "Display controller": "0x038000",
}
# lspci without -n names the vendor from pci.ids: those names stand for these ids.
VENDOR_NAMES = {
    "Intel Corporation": "0x8086",
    "Advanced Micro Devices, Inc. [AMD/ATI]": "0x1002",
    "NVIDIA Corporation": "0x10de",
}
_DEVICE = re.compile(
    r"^(?:(?P<domain>[0-9a-f]{4}):)?(?P<bdf>[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) "
    r"(?P<cls>[^:\[]+?)(?: \[(?P<code>[0-9a-f]{4})\])?: (?P<rest>.*)$"
)


@dataclass(frozen=True)
class PciFunction:
    address: str  # 0000:01:00.0
    class_name: str
    class_code: str = ""  # 0x030000
    vendor_id: str = ""
    device_id: str = ""
    driver: str = ""

    @property
    def display(self) -> bool:
        return self.class_name in CLASSES


def parse_lspci(text: str) -> dict[str, PciFunction]:
    """lspci in its -nnk, -nnkq, -v, -vnn forms (several listings of one machine merge: ids
    from one, drivers from another)."""
    found: dict[str, PciFunction] = {}
    current = ""
    for raw in text.replace("\r", "").splitlines():
        head = _DEVICE.match(raw)
        if head:
            current = f"{head.group('domain') or '0000'}:{head.group('bdf')}"
            ids = re.findall(r"\[([0-9a-f]{4}):([0-9a-f]{4})\]", head.group("rest"))
            cls = head.group("cls").strip()
            code = CLASSES.get(cls, f"0x{head.group('code')}00" if head.group("code") else "")
            rest = head.group("rest")
            named = next((v for n, v in VENDOR_NAMES.items() if rest.startswith(n)), "")
            old = found.get(current, PciFunction(current, cls))
            found[current] = replace(
                old,
                class_code=old.class_code or code,
                vendor_id=old.vendor_id or (f"0x{ids[-1][0]}" if ids else named),
                device_id=old.device_id or (f"0x{ids[-1][1]}" if ids else ""),
            )
            continue
        driver = re.match(r"^\s+Kernel driver in use: (\S+)", raw)
        if driver and current:
            found[current] = replace(found[current], driver=driver.group(1))
    return found


def glx_ids(text: str) -> tuple[str, str]:
    """``Vendor: AMD (0x1002)`` and ``Device: ... (0x7340)`` from glxinfo's extended block."""
    vendor = re.search(r"^\s+Vendor: .*\((0x[0-9a-f]+)\)\s*$", text, re.M)
    device = re.search(r"^\s+Device: .*\((0x[0-9a-f]+)\)\s*$", text, re.M)
    return (vendor.group(1) if vendor else "", device.group(1) if device else "")


def boot_vga(xlog: str) -> str:
    """The X log's primary device, ``(--) PCI:*(1@0:0:0)`` (bus@domain:device:function)."""
    found = re.search(r"PCI:\*\((\d+)@(\d+):(\d+):(\d+)\)", xlog)
    if not found:
        return ""
    bus, domain, dev, fn = (int(x) for x in found.groups())
    return f"{domain:04x}:{bus:02x}:{dev:02x}.{fn}"


def gpus_of(folder: Path) -> list[PciFunction]:
    functions = parse_lspci((folder / "lspci.txt").read_text())
    gpus = [f for f in functions.values() if f.display and f.driver in DRM_DRIVERS]
    glx = folder / "glxinfo.txt"
    vendor, device = glx_ids(glx.read_text()) if glx.exists() else ("", "")
    by_vendor = {"0x1002": ("amdgpu", "radeon"), "0x8086": ("i915", "xe"), "0x10de": ("nvidia",)}
    return [
        replace(g, vendor_id=vendor, device_id=device)
        if not g.device_id and g.driver in by_vendor.get(vendor, ())
        else g
        for g in gpus
    ]


def umockdev_text(folder: Path) -> str:
    """The recorded machine as a umockdev device description."""
    xlog_path = folder / "Xorg.0.log"
    primary = boot_vga(xlog_path.read_text(errors="replace")) if xlog_path.exists() else ""
    blocks = []
    for index, gpu in enumerate(sorted(gpus_of(folder), key=lambda g: g.address)):
        path = f"/devices/pci{gpu.address[:7]}/{gpu.address}"
        attrs = [f"A: class={gpu.class_code}"]
        attrs += [f"A: vendor={gpu.vendor_id}"] if gpu.vendor_id else []
        attrs += [f"A: device={gpu.device_id}"] if gpu.device_id else []
        if primary:
            attrs.append(f"A: boot_vga={int(gpu.address == primary)}")
        blocks.append("\n".join([
            f"P: {path}", "E: SUBSYSTEM=pci", f"E: DRIVER={gpu.driver}", *attrs,
            f"L: driver=../../../bus/pci/drivers/{gpu.driver}",
        ]))  # fmt: skip
        for node in (f"card{index}", f"renderD{128 + index}"):
            blocks.append("\n".join([
                f"P: {path}/drm/{node}", f"N: dri/{node}=00", f"E: DEVNAME=/dev/dri/{node}",
                "E: SUBSYSTEM=drm", "E: DEVTYPE=drm_minor",
            ]))  # fmt: skip
    cards = folder / "asound-cards.txt"
    for card in machine.parse_asound_cards(cards.read_text()) if cards.exists() else []:
        path = f"/devices/virtual/sound/card{card.index}"
        blocks.append(f"P: {path}\nE: SUBSYSTEM=sound\nA: id={card.id}\nA: number={card.index}")
        blocks.append("\n".join([
            f"P: {path}/controlC{card.index}", f"N: snd/controlC{card.index}=00",
            f"E: DEVNAME=/dev/snd/controlC{card.index}", "E: SUBSYSTEM=sound",
        ]))  # fmt: skip
    return "\n\n".join(blocks) + "\n" if blocks else ""


def in_testbed(folder: Path, tmp: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a command under ``umockdev-run`` over the recorded machine's testbed."""
    description = tmp / f"{folder.name}.umockdev"
    text = umockdev_text(folder)
    description.write_text(text)
    devices = ["-d", str(description)] if text.strip() else []  # an empty testbed: no devices
    return subprocess.run(
        ["umockdev-run", *devices, "--", *command],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def fit_over(folder: Path, tmp: Path, gpu: str = "") -> machine.Fit:
    """The doctor's choice over a recorded machine: discovery runs inside its testbed."""
    proc = in_testbed(
        folder, tmp, [sys.executable, "-m", "seatcheck.machine", str(folder / "proc"), gpu]
    )
    assert proc.returncode == 0, proc.stderr
    return machine.fit_from_json(proc.stdout)
