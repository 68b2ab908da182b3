"""SELinux: the host's mode and policy, and labels read from extended attributes and /proc.

Reading labels needs no policy: the ``security.selinux`` attribute can be read (and, in
fault tests, written) on any filesystem that keeps security xattrs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

XATTR = "security.selinux"
# Where no policy says otherwise: the Fedora/container-selinux file context.
DEFAULT_FILE_CONTEXT = "system_u:object_r:container_file_t:s0"
ALIASES = {"svirt_sandbox_file_t": "container_file_t"}


def mode(root: Path = Path("/sys/fs/selinux"), me: Path = Path("/proc/self/attr/current")) -> str:
    """enforcing, permissive, or disabled. A kernel with SELinux on but no policy loaded (the
    VM's Debian kernel) has /sys/fs/selinux, and every process is labelled ``kernel``, its
    initial SID: nothing is labelled, as libselinux's is_selinux_enabled() also says."""
    try:
        enforce = (root / "enforce").read_text().strip()
    except OSError:
        return "disabled"
    try:
        if me.read_text().rstrip("\x00\n") == "kernel":
            return "disabled"
    except OSError:
        pass
    return "enforcing" if enforce == "1" else "permissive"


def policy_type(config: Path = Path("/etc/selinux/config")) -> str:
    try:
        text = config.read_text()
    except OSError:
        return ""
    match = re.search(r"^\s*SELINUXTYPE\s*=\s*(\S+)", text, re.M)
    return match.group(1) if match else ""


def parse_lxc_contexts(text: str) -> dict[str, str]:
    """``key = "context"`` lines of a policy's contexts/lxc_contexts file."""
    found = {}
    for line in text.splitlines():
        match = re.match(r'\s*([a-z_]+)\s*=\s*"?([^"#\s]+)"?', line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def expected_file_context(etc: Path = Path("/etc/selinux")) -> tuple[str, str]:
    """The file context container volumes get under this host's policy, and where it came from."""
    policy = policy_type(etc / "config")
    path = etc / policy / "contexts" / "lxc_contexts"
    if policy:
        try:
            contexts = parse_lxc_contexts(path.read_text())
            if "file" in contexts:
                return contexts["file"], str(path)
        except OSError:
            pass
    return DEFAULT_FILE_CONTEXT, "container-selinux default (no lxc_contexts on this host)"


@dataclass(frozen=True)
class Context:
    user: str
    role: str
    type: str
    level: str  # "s0", or "s0:c1,c2" for a private (MCS) label

    @property
    def shared(self) -> bool:
        """No MCS categories: what ``:z`` gives; ``:Z`` adds a private category pair."""
        return ":c" not in self.level and not re.search(r"\bc\d", self.level)


def parse_context(text: str) -> Context | None:
    parts = text.strip().rstrip("\x00").split(":", 3)
    if len(parts) < 4:
        return None
    user, role, type_, level = parts
    return Context(user, role, ALIASES.get(type_, type_), level)


def file_label(path: Path | str) -> str:
    """The raw security.selinux label of a path ("" where it has none)."""
    try:
        return os.getxattr(path, XATTR, follow_symlinks=False).decode().rstrip("\x00")
    except OSError:
        return ""


def process_label(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/attr/current").read_text().rstrip("\x00\n")
    except OSError:
        return ""


CONTAINER_PROCESS_TYPES = ("container_t", "svirt_lxc_net_t", "spc_t", "container_init_t")


def process_label_problems(gnome_label: str, app_label: str) -> str:
    """What is wrong with an app's process label next to the gnome container's ("" if fine).

    An app joined to gnome's IPC namespace shares its MCS level; both run as a container type.
    """
    gnome, app = parse_context(gnome_label), parse_context(app_label)
    if gnome is None or app is None:
        return f"unreadable labels (gnome {gnome_label!r}, app {app_label!r})"
    if app.type not in CONTAINER_PROCESS_TYPES:
        return f"the app runs as {app.type}, not a container type"
    if app.level != gnome.level:
        return f"the app's level {app.level} differs from gnome's {gnome.level}"
    return ""


# What the kernel logs for each denial (auditd absent: the audit record goes to the kernel log).
AVC = re.compile(
    r"audit\((?P<stamp>\d+\.\d+):\d+\): avc:\s+denied\s+\{ (?P<perms>[^}]+) \} for\s+"
    r"(?P<rest>.*?)scontext=(?P<scontext>\S+) tcontext=(?P<tcontext>\S+) "
    r"tclass=(?P<tclass>\S+) permissive=(?P<permissive>[01])"
)
# The domains and file types of containers and their engine (refpolicy's container and docker
# modules, Fedora's container-selinux): a denial naming one is the seat's.
CONTAINER_TYPES = re.compile(r"^(container_\w+|spc_t|svirt_\w+|dockerd_\w+|dockerc_t|crun_t)$")


@dataclass(frozen=True)
class Denial:
    stamp: float  # audit time, seconds since the epoch
    perms: str
    comm: str
    scontext: str
    tcontext: str
    tclass: str
    permissive: bool  # logged, not enforced: enforcing would deny it

    @property
    def seat_related(self) -> bool:
        return any(
            (c := parse_context(label)) is not None and bool(CONTAINER_TYPES.match(c.type))
            for label in (self.scontext, self.tcontext)
        )

    def describe(self) -> str:
        source, target = parse_context(self.scontext), parse_context(self.tcontext)
        return (
            f"{self.comm} ({source.type if source else self.scontext}) {{ {self.perms} }} on "
            f"{target.type if target else self.tcontext} {self.tclass}"
        )


def parse_denials(text: str) -> list[Denial]:
    """The AVC denials in kernel log text (``dmesg`` lines or /dev/kmsg records)."""
    found = []
    for match in AVC.finditer(text):
        comm = re.search(r'comm="([^"]*)"', match.group("rest"))
        found.append(
            Denial(
                float(match.group("stamp")), match.group("perms").strip(),
                comm.group(1) if comm else "", match.group("scontext"),
                match.group("tcontext"), match.group("tclass"), match.group("permissive") == "1",
            )
        )  # fmt: skip
    return found


AUDIT_LOG = Path("/var/log/audit/audit.log")


def denial_log(proc: Path = Path("/proc"), audit_log: Path = AUDIT_LOG) -> tuple[str, str]:
    """The text the host's denials are in, and where it was read: auditd's log where auditd
    runs (the kernel then sends its records there, not to its own log), else the kernel's."""
    auditd = any(
        (p / "comm").read_text().strip() == "auditd"
        for p in proc.iterdir()
        if p.name.isdigit() and (p / "comm").exists()
    )
    if auditd:
        return audit_log.read_text(errors="replace"), str(audit_log)
    return kernel_log(), "/dev/kmsg"


def kernel_log(path: Path = Path("/dev/kmsg")) -> str:
    """Every record the kernel's log still holds, read without waiting for more."""
    records = []
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                records.append(os.read(fd, 8192).decode(errors="replace"))
            except BlockingIOError:
                return "".join(records)
            except BrokenPipeError:  # a record overwritten while read: go on from the next
                continue
    finally:
        os.close(fd)
