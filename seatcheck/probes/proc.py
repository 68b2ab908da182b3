"""A container as the host's kernel sees it: its main process, its root, its namespaces."""

from __future__ import annotations

import os
from pathlib import Path

from docker.models.containers import Container

from ..errors import ProbeError


def pid_of(container: Container) -> int:
    """The host pid of the container's main process; raises where it is not running."""
    container.reload()
    pid = int(container.attrs["State"].get("Pid") or 0)
    if not pid or container.status != "running":
        raise ProbeError(f"{container.name} is not running (status {container.status})")
    return pid


def root_of(container: Container) -> Path:
    """The container's / through its own mount namespace (``/proc/<pid>/root``)."""
    return Path(f"/proc/{pid_of(container)}/root")


def namespace(pid: int, kind: str) -> str:
    """e.g. ``ipc:[4026532281]`` for ``namespace(pid, "ipc")``."""
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError as exc:
        raise ProbeError(f"cannot read the {kind} namespace of pid {pid}: {exc.strerror}") from None


def children_named(pid: int, names: tuple[str, ...]) -> list[int]:
    """Processes in ``pid``'s PID namespace tree whose command name is one of ``names``
    (searched from the host's /proc, by the container's init as an ancestor)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            if comm in names and _descends_from(int(entry.name), pid):
                found.append(int(entry.name))
        except OSError:
            continue
    return sorted(found)


def same_pid_namespace(pid: int) -> list[int]:
    """Every process in ``pid``'s PID namespace (a container's init: all the container's
    processes, those its engine started with exec too, whose parent is outside it), from the
    host's /proc."""
    own = namespace(pid, "pid")
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "ns" / "pid") == own:
                    found.append(int(entry.name))
            except OSError:
                continue  # it ended meanwhile
    return sorted(found)


def command_line(pid: int) -> str:
    """The process's arguments, space-separated ('' for a kernel thread or one that ended)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return pid == ancestor


# Paths the engine hides from a container unless it is privileged (or systempaths=unconfined).
SYSTEM_PATHS = ("/proc/asound", "/sys/firmware")


def mounts_over(pid: int, paths: tuple[str, ...]) -> dict[str, str]:
    """For each path, the mount placed exactly on it in ``pid``'s mount namespace, as
    "<fstype> <options>" (the engine masks a path by mounting over it); "" where none is."""
    try:
        text = Path(f"/proc/{pid}/mountinfo").read_text()
    except OSError as exc:
        raise ProbeError(f"cannot read the mounts of pid {pid}: {exc.strerror}") from None
    found = dict.fromkeys(paths, "")
    for line in text.splitlines():
        fields = line.split()
        sep = fields.index("-")  # optional fields end at "-": then fstype, source, options
        if fields[4] in found:
            found[fields[4]] = f"{fields[sep + 1]} {fields[5]}"
    return found


def memory_mounts(pid: int) -> list[str]:
    """The mount points of every tmpfs (shared memory, /run, ...) in ``pid``'s mount
    namespace, but /dev itself and the masks over /proc and /sys."""
    try:
        text = Path(f"/proc/{pid}/mountinfo").read_text()
    except OSError as exc:
        raise ProbeError(f"cannot read the mounts of pid {pid}: {exc.strerror}") from None
    found = []
    for line in text.splitlines():
        fields = line.split()
        sep = fields.index("-")
        point = fields[4]
        # /dev holds device nodes; the engine masks /proc and /sys files with tmpfs mounts
        if (
            fields[sep + 1] == "tmpfs"
            and point != "/dev"
            and not point.startswith(("/proc", "/sys"))
        ):
            found.append(point)
    return found
