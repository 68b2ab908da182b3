"""IPC namespaces: which one each container's processes live in."""

from __future__ import annotations

import os
from dataclasses import dataclass

from docker.models.containers import Container


@dataclass(frozen=True)
class IpcFacts:
    container: str
    ipc_mode: str  # HostConfig.IpcMode as the engine reports it
    namespace: str  # readlink /proc/<pid>/ns/ipc, e.g. "ipc:[4026532281]"


def ipc_facts(container: Container) -> IpcFacts:
    container.reload()
    pid = container.attrs["State"]["Pid"]
    return IpcFacts(
        container=container.name or "",
        ipc_mode=str(container.attrs["HostConfig"].get("IpcMode", "")),
        namespace=os.readlink(f"/proc/{pid}/ns/ipc"),
    )


def host_namespace() -> str:
    """The IPC namespace seatcheck itself runs in: the host's, as the engine sees it."""
    return os.readlink("/proc/self/ns/ipc")
