"""Host facts a user needs before a run (``seatcheck doctor``) and that a report records."""

from __future__ import annotations

import ctypes.util
import os
import platform
import shutil
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient

from . import capabilities, console, engine, machine, profile
from .engine.labels import labels


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


@dataclass
class HostFacts:
    hostname: str = field(default_factory=socket.gethostname)
    kernel: str = platform.release()
    cpu: str = ""
    engine: str = ""  # its version
    engine_api: str = ""
    engine_name: str = ""  # docker or podman (from its own components)
    engine_runtime: str = ""  # the default OCI runtime and its version
    engine_rootless: bool = False
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
    profile_fits_because: list[str] = field(default_factory=list)
    free_vt: str = ""
    profiles_shipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cpu_model() -> str:
    for line in _read(Path("/proc/cpuinfo")).splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def collect(
    client: DockerClient | None,
    probe_image: str | None = None,
    session: str = "doctor",
    gpu: str = "",
) -> HostFacts:
    mask, last = capabilities.host_bounding_set()
    plan = capabilities.plan(mask, last)
    found = machine.discover()
    fit = machine.fitting_profile(found, gpu)
    facts = HostFacts(
        cpu=cpu_model(),
        privilege=plan.describe(),
        grantable_capabilities=capabilities.names(mask, last),
        missing_capabilities=list(plan.missing),
        gpus=found.as_dict()["gpus"],
        sound_cards=[f"{c.index} [{c.id}] {c.name}".strip() for c in found.sound_cards],
        selinux=selinux_mode(),
        vts=len([p for p in Path("/dev").glob("tty[0-9]*")]),
        active_vt=_read(Path("/sys/class/tty/tty0/active")),
        kvm=Path("/dev/kvm").exists(),
        libpulse=ctypes.util.find_library("pulse") is not None,
        profile_fits=fit.profile,
        profile_fits_because=list(fit.reasons),
        free_vt=_free_vt(),
        profiles_shipped=profile.available(),
    )
    if client is not None:
        info = client.info()
        version = client.version()
        facts.engine = str(info.get("ServerVersion", ""))
        facts.engine_api = str(version.get("ApiVersion", ""))
        facts.engine_name = engine.engine_name(client)
        facts.engine_runtime = oci_runtime(info, version)
        facts.engine_rootless = any("rootless" in str(o) for o in info.get("SecurityOptions") or [])
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


def oci_runtime(info: dict[str, Any], version: dict[str, Any]) -> str:
    """The engine's default OCI runtime with its version, as its components name it
    (docker: ``runc``; podman: ``OCI Runtime (crun)``, its version text's first line)."""
    name = str(info.get("DefaultRuntime", ""))
    for component in version.get("Components") or []:
        label = str(component.get("Name", "")).lower()
        if name and (label == name or label == f"oci runtime ({name})"):
            first = str(component.get("Version", "")).splitlines()[:1]
            return f"{name} {first[0].removeprefix(name + ' version ')}" if first else name
    return name


def _free_vt() -> str:
    if not console.has_vts():
        return "none (no /dev/tty0)"
    try:
        return f"tty{console.first_free_vt()}"
    except OSError as exc:
        return f"unknown ({exc.strerror})"
