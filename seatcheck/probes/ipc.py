"""IPC namespaces: which one each container's processes and the X server live in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docker.models.containers import Container

from ..errors import ProbeError
from . import proc

X_SERVERS = ("Xvfb", "Xorg")


@dataclass(frozen=True)
class IpcFacts:
    name: str
    pid: int  # on the host
    namespace: str  # readlink /proc/<pid>/ns/ipc, e.g. "ipc:[4026532281]"


def ipc_facts(container: Container) -> IpcFacts:
    pid = proc.pid_of(container)
    return IpcFacts(str(container.name or ""), pid, proc.namespace(pid, "ipc"))


def x_server(gnome: Container) -> IpcFacts:
    """The X server process inside the gnome container, found by name under its init."""
    found = proc.children_named(proc.pid_of(gnome), X_SERVERS)
    if not found:
        raise ProbeError(f"no X server process ({', '.join(X_SERVERS)}) in {gnome.name}")
    pid = found[0]
    name = Path(f"/proc/{pid}/comm").read_text().strip()
    return IpcFacts(name, pid, proc.namespace(pid, "ipc"))


@dataclass(frozen=True)
class ProcessIpc:
    pid: int  # on the host
    command: str
    namespace: str


def every_process(container: Container) -> list[ProcessIpc]:
    """The IPC namespace of every process in the container (every process of its PID
    namespace); a process that ended while being read is left out."""
    found = []
    for pid in proc.same_pid_namespace(proc.pid_of(container)):
        try:
            namespace = proc.namespace(pid, "ipc")
        except ProbeError:
            continue
        found.append(ProcessIpc(pid, proc.command_line(pid)[:160], namespace))
    return found
