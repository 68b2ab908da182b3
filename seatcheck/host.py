"""Host facts a user needs before a run (``seatcheck doctor``) and that a report records."""

from __future__ import annotations

import ctypes.util
import os
import platform
import re
import shutil
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient

from . import capabilities, profile
from .labels import labels

PCI_VENDORS = {"0x8086": "intel", "0x1002": "amd", "0x10de": "nvidia", "0x1af4": "virtio"}


@dataclass(frozen=True)
class Gpu:
    card: str
    vendor_id: str
    vendor: str
    device_id: str
    driver: str


def gpus(sysfs: Path = Path("/sys/class/drm")) -> list[Gpu]:
    found = []
    for card in sorted(sysfs.glob("card[0-9]*")):
        if "-" in card.name:  # connectors (card0-HDMI-A-1) are not devices
            continue
        dev = card / "device"
        vendor = _read(dev / "vendor")
        driver = (
            os.path.basename(os.path.realpath(dev / "driver")) if (dev / "driver").exists() else ""
        )
        found.append(
            Gpu(
                card.name, vendor, PCI_VENDORS.get(vendor, "unknown"), _read(dev / "device"), driver
            )
        )
    return found


def sound_cards(proc_cards: Path = Path("/proc/asound/cards")) -> list[str]:
    text = _read(proc_cards)
    return [m.group(1).strip() for m in re.finditer(r"^\s*\d+ \[[^\]]*\]: (.*)$", text, re.M)]


def selinux_mode(root: Path = Path("/sys/fs/selinux")) -> str:
    from .probes import selinux  # one reading of the mode for the manifest and the checks

    return selinux.mode(root)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def default_ipc_mode(client: DockerClient, image: str, session: str) -> str:
    """What IPC mode the engine gives a container that asks for none (created, never started)."""
    container = client.containers.create(
        image, command=["true"], labels=labels(session, "ipc-probe")
    )
    try:
        return str(container.attrs["HostConfig"].get("IpcMode") or "unknown")
    finally:
        container.remove(force=True)


def any_local_image(client: DockerClient) -> str | None:
    """A local image to create a probe container from (seatcheck's base first)."""
    tags = [t for image in client.images.list() for t in image.tags]
    base = [t for t in tags if t.startswith("seatcheck/base:")]
    choices = base or tags
    return choices[0] if choices else None


def fitting_profile(found: list[Gpu]) -> str:
    vendors = {g.vendor for g in found} - {"virtio", "unknown"}
    if not vendors:
        return "virtual"
    return sorted(vendors)[0]


@dataclass
class HostFacts:
    hostname: str = field(default_factory=socket.gethostname)
    kernel: str = platform.release()
    cpu: str = ""
    engine: str = ""
    engine_api: str = ""
    default_ipc_mode: str = ""
    cgroup_version: str = ""
    privilege: str = ""
    grantable_capabilities: list[str] = field(default_factory=list)
    missing_capabilities: list[str] = field(default_factory=list)
    gpus: list[dict[str, str]] = field(default_factory=list)
    sound_cards: list[str] = field(default_factory=list)
    selinux: str = ""
    vts: int = 0
    active_vt: str = ""
    kvm: bool = False
    libpulse: bool = False
    free_disk_gib: float = 0.0
    profile_fits: str = ""
    profiles_shipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cpu_model() -> str:
    for line in _read(Path("/proc/cpuinfo")).splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def collect(
    client: DockerClient | None, probe_image: str | None = None, session: str = "doctor"
) -> HostFacts:
    mask, last = capabilities.host_bounding_set()
    plan = capabilities.plan(mask, last)
    cards = gpus()
    facts = HostFacts(
        cpu=cpu_model(),
        privilege=plan.describe(),
        grantable_capabilities=capabilities.names(mask, last),
        missing_capabilities=list(plan.missing),
        gpus=[asdict(g) for g in cards],
        sound_cards=sound_cards(),
        selinux=selinux_mode(),
        vts=len([p for p in Path("/dev").glob("tty[0-9]*")]),
        active_vt=_read(Path("/sys/class/tty/tty0/active")),
        kvm=Path("/dev/kvm").exists(),
        libpulse=ctypes.util.find_library("pulse") is not None,
        profile_fits=fitting_profile(cards),
        profiles_shipped=profile.available(),
    )
    if client is not None:
        info = client.info()
        facts.engine = str(info.get("ServerVersion", ""))
        facts.engine_api = str(client.version().get("ApiVersion", ""))
        facts.cgroup_version = str(info.get("CgroupVersion", ""))
        root = str(info.get("DockerRootDir", "/var/lib/docker"))
        usage = shutil.disk_usage(root if os.path.exists(root) else "/")
        facts.free_disk_gib = round(usage.free / 2**30, 1)
        if probe_image:
            try:
                facts.default_ipc_mode = default_ipc_mode(client, probe_image, session)
            except docker.errors.DockerException as exc:
                facts.default_ipc_mode = f"unknown ({exc})"
    return facts
