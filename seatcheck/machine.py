"""What a machine has, found in sysfs, /dev and /proc: its GPUs (by PCI address, with their
DRM card and render nodes and bound kernel driver), its sound cards, its input devices.

Everything is read under roots that default to the real ones, so that the same code reads a
umockdev testbed (``umockdev-run`` fakes /sys and /dev for the process it wraps) or a
recording (``seatcheck record-machine``) replayed here.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PCI_ADDRESS = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
PCI_VENDORS = {"0x8086": "intel", "0x1002": "amd", "0x10de": "nvidia", "0x1af4": "virtio"}
VENDOR_NAMES = {"intel": "Intel", "amd": "AMD", "nvidia": "NVIDIA", "virtio": "virtio"}
# The kernel drivers each vendor profile runs on (nouveau has no NVIDIA user-space to match).
VENDOR_DRIVERS = {
    "intel": ("i915", "xe"),
    "amd": ("amdgpu",),
    "nvidia": ("nvidia", "nouveau"),
    # virtio-pci is the transport; the GPU driver (virtio_gpu) is on its virtio child, which a
    # recording of the DRM device's parents does not hold
    "virtio": ("virtio_gpu", "virtio-pci"),
}


@dataclass(frozen=True)
class Gpu:
    pci_address: str  # 0000:00:02.0, or the device's sysfs name off the PCI bus
    vendor_id: str  # 0x8086
    device_id: str
    driver: str  # the bound kernel driver ("" if none)
    card: str = ""  # /dev/dri/card0
    render: str = ""  # /dev/dri/renderD128
    boot_vga: bool = False
    pci_class: str = ""  # 0x030000 VGA, 0x030200 3D, 0x038000 display controller
    virgl: bool = False  # virtio_gpu with 3D: the guest's GL runs on the host's GPU

    @property
    def vendor(self) -> str:
        return PCI_VENDORS.get(self.vendor_id, "unknown")

    def describe(self) -> str:
        name = VENDOR_NAMES.get(self.vendor, f"vendor {self.vendor_id}")
        driver = f"driver {self.driver}" if self.driver else "no driver bound"
        nodes = ", ".join(n for n in (self.card, self.render) if n) or "no DRM nodes"
        three_d = ("; 3D (virgl)" if self.virgl else "; no 3D") if self.vendor == "virtio" else ""
        return (
            f"{name} GPU {self.vendor_id[2:]}:{self.device_id[2:]} at {self.pci_address} "
            f"({driver}; {nodes}{three_d})"
        )


@dataclass(frozen=True)
class SoundCard:
    index: int
    id: str  # ALSA's short id (PCH, NVidia, Intel)
    name: str = ""  # /proc/asound/cards' long name, where readable


@dataclass(frozen=True)
class Machine:
    gpus: tuple[Gpu, ...] = ()
    sound_cards: tuple[SoundCard, ...] = ()
    sound_nodes: tuple[str, ...] = ()  # /dev/snd/*
    input_nodes: tuple[str, ...] = ()  # /dev/input/event*
    nvidia_module: str = ""  # the loaded NVIDIA kernel module's version
    facts: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gpus"] = [{**asdict(g), "vendor": g.vendor} for g in self.gpus]
        return data

    def describe_gpus(self) -> str:
        return "; ".join(g.describe() for g in self.gpus) or "no GPU (no DRM device in sysfs)"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _driver_of(device: Path) -> str:
    # The link's name is the driver's; its target may be absent in a recording.
    try:
        return os.path.basename(os.readlink(device / "driver"))
    except OSError:
        return ""


def _gpu_driver(device: Path) -> str:
    """The device's bound driver; for a virtio transport, the driver of its virtio child (the
    DRM device of virtio_gpu hangs off the PCI function, the driver off ``virtioN``)."""
    driver = _driver_of(device)
    if driver == "virtio-pci":
        child = next((d for d in sorted(device.glob("virtio[0-9]*")) if _driver_of(d)), None)
        return _driver_of(child) if child else driver
    return driver


def _virgl(device: Path) -> bool:
    """Whether virtio_gpu negotiated 3D with the host: the virtio device's ``features`` lists
    the negotiated feature bits as 0/1 from bit 0, and bit 0 is VIRTIO_GPU_F_VIRGL."""
    virtio = device if device.name.startswith("virtio") else next(
        iter(sorted(device.glob("virtio[0-9]*"))), device
    )  # fmt: skip
    return _read(virtio / "features")[:1] == "1"


def gpus(sys_root: Path = Path("/sys"), dev_root: Path = Path("/dev")) -> list[Gpu]:
    """Every DRM device by its parent (PCI) device, with its card and render nodes."""
    by_device: dict[Path, dict[str, str]] = {}
    drm = sys_root / "class/drm"
    for entry in sorted(drm.glob("*")) if drm.is_dir() else []:
        if not re.fullmatch(r"card\d+|renderD\d+", entry.name):
            continue  # connectors (card0-HDMI-A-1), version
        # <parent>/drm/cardN: the parent device is two levels up from the node's real path
        # (a recording may have no "device" link).
        parent = Path(os.path.realpath(entry)).parent.parent
        kind = "card" if entry.name.startswith("card") else "render"
        node = dev_root / "dri" / entry.name
        by_device.setdefault(parent, {})[kind] = f"/dev/dri/{entry.name}" if node.exists() else ""
    found = []
    for parent, nodes in by_device.items():
        # virtio_gpu's DRM device hangs off virtio0 (vendor "QEMU" on the virtio bus), whose
        # parent is the PCI function: ids and class are the PCI function's, the driver the
        # DRM device's own parent's.
        pci = next((p for p in (parent, *parent.parents) if PCI_ADDRESS.match(p.name)), parent)
        driver = _gpu_driver(parent)
        found.append(
            Gpu(
                pci_address=pci.name,
                vendor_id=_read(pci / "vendor"),
                device_id=_read(pci / "device"),
                driver=driver,
                card=nodes.get("card", ""),
                render=nodes.get("render", ""),
                boot_vga=_read(pci / "boot_vga") == "1",
                pci_class=_read(pci / "class"),
                virgl=driver == "virtio_gpu" and _virgl(parent),
            )
        )
    return sorted(found, key=lambda g: g.pci_address)


def parse_asound_cards(text: str) -> list[SoundCard]:
    """``/proc/asound/cards``: `` 0 [PCH            ]: HDA-Intel - HDA Intel PCH``."""
    return [
        SoundCard(int(m.group(1)), m.group(2).strip(), m.group(3).strip())
        for m in re.finditer(r"^\s*(\d+) \[([^\]]*)\]: (.*)$", text, re.M)
    ]


def sound_cards(sys_root: Path = Path("/sys"), proc_root: Path = Path("/proc")) -> list[SoundCard]:
    """Sound cards from sysfs (index and id), named from /proc/asound/cards where readable
    (a container without systempaths=unconfined sees /proc/asound masked)."""
    names = {c.index: c for c in parse_asound_cards(_read(proc_root / "asound/cards"))}
    found = []
    sound = sys_root / "class/sound"
    for entry in sorted(sound.glob("card*")) if sound.is_dir() else []:
        number = _read(entry / "number") or entry.name.removeprefix("card")
        if not number.isdigit():
            continue
        index = int(number)
        named = names.pop(index, None)
        found.append(SoundCard(index, _read(entry / "id") or (named.id if named else ""),
                               named.name if named else ""))  # fmt: skip
    found += names.values()  # cards /proc knows and sysfs did not show
    return sorted(found, key=lambda c: c.index)


def nvidia_module_version(proc_root: Path = Path("/proc"), sys_root: Path = Path("/sys")) -> str:
    """The loaded NVIDIA kernel module's version: ``NVRM version: ... Kernel Module  535.54.03``
    in /proc/driver/nvidia/version, else /sys/module/nvidia/version."""
    text = _read(proc_root / "driver/nvidia/version")
    return nvidia_version_in(text) or _read(sys_root / "module/nvidia/version")


def nvidia_version_in(text: str) -> str:
    """The module's version in a /proc/driver/nvidia/version text, or ""."""
    found = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", text)
    return found.group(1) if found else ""


def discover(
    sys_root: Path = Path("/sys"), dev_root: Path = Path("/dev"), proc_root: Path = Path("/proc")
) -> Machine:
    snd = dev_root / "snd"
    inputs = dev_root / "input"
    return Machine(
        gpus=tuple(gpus(sys_root, dev_root)),
        sound_cards=tuple(sound_cards(sys_root, proc_root)),
        sound_nodes=tuple(f"/dev/snd/{p.name}" for p in sorted(snd.iterdir()))
        if snd.is_dir()
        else (),
        input_nodes=tuple(f"/dev/input/{p.name}" for p in sorted(inputs.glob("event*")))
        if inputs.is_dir()
        else (),
        nvidia_module=nvidia_module_version(proc_root, sys_root),
    )


@dataclass(frozen=True)
class Fit:
    """The doctor's verdict: the profile that fits a machine, the GPU it runs on, and why."""

    profile: str
    gpu: Gpu | None
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.profile}: " + "; ".join(self.reasons)


def preference(gpu: Gpu) -> tuple[bool, bool, str]:
    """The GPU a person's screen is on first: the boot VGA device, else a VGA-class one (an
    iGPU behind a discrete card shows as a display controller, 0x0380), else PCI order."""
    return (not gpu.boot_vga, not gpu.pci_class.startswith("0x0300"), gpu.pci_address)


def fitting_profile(machine: Machine, pci_address: str = "") -> Fit:
    """Which shipped profile fits: virtio_gpu with 3D → vm, without → vm-2d; an Intel, AMD or
    NVIDIA GPU on its vendor's kernel driver → that vendor's profile (the boot VGA device first
    on a hybrid machine, unless one is named); no usable GPU → virtual."""
    sound = (
        f"sound: {', '.join(f'card {c.index} {c.id}' for c in machine.sound_cards)}"
        if machine.sound_cards
        else "sound: no card"
    )
    candidates = [g for g in machine.gpus if not pci_address or g.pci_address == pci_address]
    if pci_address and not candidates:
        return Fit("", None, (f"no GPU at {pci_address}; found {machine.describe_gpus()}",))
    usable = [g for g in candidates if g.driver in VENDOR_DRIVERS.get(g.vendor, ()) and g.card]
    usable.sort(key=preference)
    if not usable:
        why = machine.describe_gpus() if machine.gpus else "no GPU (no DRM device in sysfs)"
        return Fit("virtual", None, (f"no GPU with its vendor's driver and a card node: {why}",
                                     sound))  # fmt: skip
    gpu = usable[0]
    profile = ("vm" if gpu.virgl else "vm-2d") if gpu.vendor == "virtio" else gpu.vendor
    reasons = [gpu.describe()]
    if gpu.boot_vga:
        reasons.append("the boot VGA device")
    others = [g for g in usable[1:]]
    if others:
        reasons.append(
            "hybrid: also " + "; ".join(o.describe() for o in others)
            + " (--seatcheck-gpu PCI-ADDRESS picks another)"
        )  # fmt: skip
    reasons.append(sound)
    return Fit(profile, gpu, tuple(reasons))


def fit_as_json(found: Machine, fit: Fit) -> str:
    return json.dumps({
        "machine": found.as_dict(), "profile": fit.profile, "reasons": list(fit.reasons),
        "gpu": asdict(fit.gpu) if fit.gpu else None,
    }, indent=1)  # fmt: skip


def fit_from_json(text: str) -> Fit:
    data = json.loads(text)
    gpu = Gpu(**data["gpu"]) if data.get("gpu") else None
    return Fit(data["profile"], gpu, tuple(data["reasons"]))


def main(argv: list[str]) -> int:
    """``python -m seatcheck.machine [PROC_ROOT [PCI-ADDRESS]]``: this machine (or the
    umockdev testbed the process runs in) and the profile that fits, as JSON."""
    proc_root = Path(argv[0]) if argv and argv[0] else Path("/proc")
    found = discover(proc_root=proc_root)
    print(fit_as_json(found, fitting_profile(found, argv[1] if len(argv) > 1 else "")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
