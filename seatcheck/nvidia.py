"""NVIDIA's user-space in the seat, of the kernel module's exact version.

A GL or NVML library of another version than the loaded kernel module fails ("API mismatch",
"Driver/library version mismatch"). The NVIDIA Container Toolkit's way is taken: the device
nodes and the host's own libraries of that version (or the files its CDI spec lists) are bound
into each container. Where the host has none but Debian's packages are that version, they are
installed in each container at run time through the package cache (the recipe's way);
otherwise the run stops before start, naming the version it needs and what was found.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import HardwareMismatch
from .profile import Profile

MAJOR = 195  # /dev/nvidia<N> = 195:N, nvidiactl 195:255, nvidia-modeset 195:254
LIB_DIRS = (
    Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib64"), Path("/usr/lib"),
    Path("/usr/lib/x86_64-linux-gnu/nvidia/current"),
)  # fmt: skip
XORG_MODULES = (Path("/usr/lib/xorg/modules"), Path("/usr/lib64/xorg/modules"))
CDI_DIRS = (Path("/etc/cdi"), Path("/var/run/cdi"))
# Debian's NVIDIA packages live in non-free, with helpers in contrib (glx-alternative-nvidia).
DEBIAN_SOURCE = "deb http://deb.debian.org/debian bookworm contrib non-free"
APP_PACKAGES = (
    "libglx-nvidia0", "libgl1-nvidia-glvnd-glx", "libegl-nvidia0", "libnvidia-ml1", "nvidia-smi",
)  # fmt: skip
GNOME_PACKAGES = ("xserver-xorg-video-nvidia", *APP_PACKAGES)  # and X's driver
# The libraries GL, GLX, EGL and NVML clients load (the toolkit's "graphics" and "utility").
LIBRARIES = (
    "libGLX_nvidia.so", "libEGL_nvidia.so", "libGLESv2_nvidia.so", "libnvidia-glcore.so",
    "libnvidia-glsi.so", "libnvidia-tls.so", "libnvidia-ml.so", "libnvidia-eglcore.so",
    "libnvidia-glvkspirv.so", "libnvidia-gpucomp.so",
)  # fmt: skip


@dataclass(frozen=True)
class UserSpace:
    version: str
    source: str  # where it comes from, said in the run's facts
    files: tuple[str, ...] = ()  # host files bound in at the same path
    devices: tuple[str, ...] = ()  # /dev/nvidia*
    debian_version: str = ""  # where Debian's packages are installed at run time instead

    def install(self, role: str) -> str:
        """The run-time install for a role's container ("" where the host provides all)."""
        if not self.debian_version:
            return ""
        packages = GNOME_PACKAGES if role == "gnome" else APP_PACKAGES
        return install_script(self.debian_version, packages)

    def describe(self) -> str:
        return f"NVIDIA user-space {self.version} from {self.source}"


def device_nodes(dev_root: Path = Path("/dev")) -> list[str]:
    names = ["nvidiactl", "nvidia-modeset", "nvidia-uvm", "nvidia-uvm-tools"]
    found = sorted(p.name for p in dev_root.glob("nvidia[0-9]*"))
    return [f"/dev/{n}" for n in found + names if (dev_root / n).exists()]


def host_files(version: str, lib_dirs: tuple[Path, ...] = LIB_DIRS,
               xorg_dirs: tuple[Path, ...] = XORG_MODULES) -> list[str]:  # fmt: skip
    """The host's libraries of exactly ``version`` (and their .so.0/.so.1 names that point at
    them), and Xorg's nvidia_drv.so and libglxserver_nvidia.so of that version."""
    files: list[str] = []
    exact = {
        lib: folder / f"{lib}.{version}"
        for folder in lib_dirs for lib in LIBRARIES if (folder / f"{lib}.{version}").exists()
    }  # fmt: skip
    files += [str(p) for p in exact.values()]
    # The names the loader looks for (libGLX_nvidia.so.0), wherever they point at that file:
    # beside it, or in the main library folder through Debian's alternatives.
    for lib, path in exact.items():
        files += [str(link) for folder in lib_dirs for link in folder.glob(f"{lib}.[0-9]")
                  if link.resolve() == path.resolve()]  # fmt: skip
    for folder in xorg_dirs:
        drv = folder / "drivers/nvidia_drv.so"
        glx = folder / f"extensions/libglxserver_nvidia.so.{version}"
        if glx.exists():
            files.append(str(glx))
            if drv.exists():
                files.append(str(drv))
    return files


def cdi_spec(version: str, dirs: tuple[Path, ...] = CDI_DIRS) -> Path | None:
    """A CDI spec made by ``nvidia-ctk cdi generate`` for this driver version (it names the
    versioned library files it mounts)."""
    for folder in dirs:
        for spec in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json")):
            try:
                text = spec.read_text()
            except OSError:
                continue
            if "nvidia.com/gpu" in text and f".so.{version}" in text:
                return spec
    return None


def cdi_files(spec: Path) -> list[str]:
    """The host paths a CDI spec mounts (its ``hostPath`` entries)."""
    return sorted(set(re.findall(r"hostPath:\s*\"?([^\s\"]+)", spec.read_text())))


def debian_candidate(timeout: float = 180) -> str:
    """The version of NVIDIA's driver Debian's contrib and non-free would install, read from
    Debian's own index in a scratch apt state (the host's sources are left alone), or ""."""
    if not shutil.which("apt-get"):
        return ""
    with tempfile.TemporaryDirectory(prefix="seatcheck-apt-") as tmp:
        (Path(tmp) / "sources.list").write_text(DEBIAN_SOURCE + "\n")
        for sub in ("lists/partial", "cache/archives/partial"):
            (Path(tmp) / sub).mkdir(parents=True)
        options = [
            "-o", f"Dir::Etc::SourceList={tmp}/sources.list", "-o", "Dir::Etc::SourceParts=-",
            "-o", f"Dir::State::Lists={tmp}/lists", "-o", f"Dir::Cache={tmp}/cache",
        ]  # fmt: skip
        try:
            subprocess.run(["apt-get", *options, "update", "-q"], capture_output=True,
                           timeout=timeout, check=True)  # fmt: skip
            out = subprocess.run(
                ["apt-cache", *options, "policy", "nvidia-driver"], capture_output=True,
                text=True, timeout=60,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return ""
    found = re.search(r"Candidate:\s*(\S+)", out)
    return "" if not found or found.group(1) == "(none)" else found.group(1)


def install_script(debian_version: str, packages: tuple[str, ...]) -> str:
    """The recipe's way: the driver's user-space installed in a container at run time, through
    the seat's package cache (the container's apt proxy), pinned to the module's version."""
    pins = " ".join(f"{p}={debian_version}" for p in packages)
    return (
        f"set -e; echo '{DEBIAN_SOURCE}' > /etc/apt/sources.list.d/seatcheck-nvidia.list; "
        "apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
        f"--no-install-recommends {pins}"
    )


def upstream_version(debian_version: str) -> str:
    """535.216.01-1~deb12u1 → 535.216.01."""
    return re.sub(r"^\d+:", "", debian_version).split("-")[0]


def user_space_for(prof: Profile, module: str | None = None) -> UserSpace:
    """Where the seat's NVIDIA user-space of the module's version comes from: the host's CDI
    spec, the host's libraries, or Debian's packages of that very version. Raises
    HardwareMismatch, naming the version needed and what was found, where none has it."""
    from .machine import nvidia_module_version

    version = module if module is not None else nvidia_module_version()
    if not version:
        raise HardwareMismatch(
            f"profile {prof.name} needs NVIDIA's kernel module loaded (no "
            "/proc/driver/nvidia/version, no /sys/module/nvidia/version)"
        )
    nodes = tuple(device_nodes())
    spec = cdi_spec(version)
    if spec is not None:
        return UserSpace(version, f"the host's CDI spec {spec}", tuple(cdi_files(spec)), nodes)
    files = host_files(version)
    if any("libGLX_nvidia" in f for f in files):
        return UserSpace(version, "the host's libraries", tuple(files), nodes)
    candidate = debian_candidate()
    if candidate and upstream_version(candidate) == version:
        return UserSpace(version, f"Debian's packages {candidate}, installed in each container "
                         "at run time through the package cache", (), nodes,
                         debian_version=candidate)  # fmt: skip
    offered = f"Debian offers {upstream_version(candidate)}" if candidate else (
        "Debian's package lists offer no nvidia-driver")  # fmt: skip
    raise HardwareMismatch(
        f"profile {prof.name} needs NVIDIA user-space {version} (the kernel module's version); "
        f"found no libGLX_nvidia.so.{version} on the host, no CDI spec for it, and {offered}"
    )


# -- agreement, judged in each container -------------------------------------------------------


def smi_driver_version(text: str) -> str:
    """``Driver Version: 535.54.03`` (or ``Driver Version   : ...`` of --query), or ""."""
    found = re.search(r"Driver Version\s*:\s*(\d+\.\d+(?:\.\d+)?)", text)
    return found.group(1) if found else ""


def glx_driver_version(version_string: str) -> str:
    """``4.6.0 NVIDIA 535.54.03`` (glxinfo) or ``NVIDIA GLX Module  510.73.08`` (X log)."""
    found = re.search(r"NVIDIA(?: GLX Module)?\s+(\d+\.\d+(?:\.\d+)?)", version_string)
    return found.group(1) if found else ""


def disagreements(module: str, glx: dict[str, str], smi_text: str) -> list[str]:
    """What disagrees with the kernel module's version: each GL source (glxinfo's OpenGL
    version string in a container, the X server's GLX module in its log) and nvidia-smi's
    driver version (its "version mismatch" error counts as one)."""
    problems = []
    for source, text in glx.items():
        found = glx_driver_version(text)
        if found != module:
            problems.append(f"{source} {text.strip()!r} (NVIDIA {found or 'none'})")
    smi = smi_driver_version(smi_text)
    if smi != module:
        lines = [line.strip() for line in smi_text.splitlines() if line.strip()]
        problems.append(
            f"nvidia-smi driver {smi}"
            if smi
            else f"nvidia-smi: {' | '.join(lines[:2]) or 'no output'}"
        )
    return problems
