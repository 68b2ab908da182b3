"""Which capabilities the host can grant a container, and the nearest thing to --privileged.

Docker's ``--privileged`` asks for every capability the kernel knows. Where the daemon's
bounding set lacks one (here: CAP_SYS_RESOURCE), older engines fail with "unable to apply
caps". Then the gnome container gets every grantable capability, unconfined seccomp and a
device cgroup rule instead, and the run's facts record the downgrade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Index = capability number (linux/capability.h).
CAP_NAMES: tuple[str, ...] = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
    "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
    "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
    "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
)  # fmt: skip

# What a device cgroup rule must allow so that devices handed in later can be opened.
DEVICE_CGROUP_RULES = ("c *:* rmw", "b *:* rmw")


def bounding_set(status_text: str) -> int:
    """The CapBnd mask from a /proc/<pid>/status text."""
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    raise ValueError("no CapBnd line in process status")


def names(mask: int, last_cap: int) -> list[str]:
    return [CAP_NAMES[i] for i in range(min(last_cap, len(CAP_NAMES) - 1) + 1) if mask >> i & 1]


@dataclass(frozen=True)
class PrivilegePlan:
    """How the gnome container is made (nearly) privileged on this host."""

    privileged: bool
    cap_add: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    device_cgroup_rules: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        if self.privileged:
            return "privileged"
        return (
            "downgraded from --privileged: the host cannot grant "
            + ", ".join(f"CAP_{m}" for m in self.missing)
            + f"; granted {len(self.cap_add)} capabilities, unconfined seccomp, "
            "device cgroup rules " + ", ".join(self.device_cgroup_rules)
            + (", system paths unmasked (/proc/asound, /sys/firmware, as --privileged shows them)"
               if "systempaths=unconfined" in self.security_opt else "")
        )  # fmt: skip


def plan(mask: int, last_cap: int) -> PrivilegePlan:
    """Real privileged mode when every capability is grantable, else the nearest equivalent."""
    grantable = names(mask, last_cap)
    missing = [n for n in CAP_NAMES[: last_cap + 1] if n not in grantable]
    if not missing:
        return PrivilegePlan(privileged=True)
    return PrivilegePlan(
        privileged=False,
        cap_add=tuple(grantable),
        missing=tuple(missing),
        # Without systempaths the engine still masks /proc/asound and /sys/firmware (and
        # makes /proc/sys read-only), which real --privileged shows: the sound card is hidden.
        security_opt=("seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"),
        device_cgroup_rules=DEVICE_CGROUP_RULES,
    )


def daemon_pid(pidfile: Path = Path("/var/run/docker.pid")) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def host_plan(proc: Path = Path("/proc")) -> PrivilegePlan:
    """The plan for this host, read from the engine's own bounding set where it is local."""
    return plan(*host_bounding_set(proc))


def host_bounding_set(proc: Path = Path("/proc")) -> tuple[int, int]:
    """(the engine's bounding set, or ours where the engine is not local; cap_last_cap)."""
    pid = daemon_pid()
    status = proc / (str(pid) if pid else "self") / "status"
    try:
        text = status.read_text()
    except OSError:
        text = (proc / "self" / "status").read_text()
    last_cap = int((proc / "sys/kernel/cap_last_cap").read_text())
    return bounding_set(text), last_cap
