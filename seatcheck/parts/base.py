"""What every kind of seat container shares: starting, waiting with a deadline, files put in
at / before start, and the log tail a failure message quotes."""

from __future__ import annotations

import io
import re
import socket
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
from docker.models.containers import Container

from ..context import SeatContext
from ..engine import execs
from ..engine.execs import ExecResult
from ..errors import ProbeError, SetupError
from ..waits import WaitTimeout, wait_for

LOG_TAIL = 20


class Part:
    """One kind of container in the seat (testcontainers' one class per kind): ``start``
    creates it through the seat (labels, hooks, privilege) and returns it once it is ready."""

    role = ""

    def __init__(self, seat: SeatContext) -> None:
        self.seat = seat

    def start(self) -> Container:
        raise NotImplementedError

    def diagnostics(self) -> dict[str, list[str]]:
        """What a failed set-up saves beside the container's log, as commands run in the
        container (name: argv): the part's own view of why it did not come up."""
        return {}


def container_log_tail(container: Container, lines: int = LOG_TAIL) -> str:
    try:
        container.reload()
        raw = container.logs(tail=lines)
    except docker.errors.DockerException as exc:
        return f"(no log: {exc})"
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    # systemd colours its status lines; the tail is for people and files.
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r", "")


def save_diagnostics(part: Part, container: Container, folder: Path) -> None:
    """A part that did not come up leaves its whole log and its own diagnostics in the
    run's folder (``setup-<role>-*.txt``), for a run nobody watched (CI, the VM)."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = {"log": container_log_tail(container, lines=2000)}
    for name, argv in part.diagnostics().items():
        try:
            result = execs.run(container, argv, timeout=20)
            saved[name] = result.stdout + result.stderr
        except (ProbeError, execs.ExecTimeout, docker.errors.DockerException) as exc:
            saved[name] = f"(not read: {exc})"  # a dead or hung container: the rest is kept
    for name, text in saved.items():
        (folder / f"setup-{part.role}-{name}.txt").write_text(text)


def start(role: str, container: Container) -> Container:
    try:
        container.start()
    except docker.errors.APIError as exc:
        raise SetupError(role, f"the container did not start: {exc.explanation}") from None
    return container


def run_to_end(container: Container, command: tuple[str, ...], timeout: float) -> ExecResult:
    """Start a short-lived container (its command already bounded by ``timeout``), wait for
    its end with a deadline, and remove it: its exit status and output."""
    try:
        container.start()
        code = container.wait(timeout=timeout + 15)["StatusCode"]
        out = container.logs(stdout=True, stderr=False).decode(errors="replace")
        err = container.logs(stdout=False, stderr=True).decode(errors="replace")
        return ExecResult(command, int(code), out, err)
    finally:
        container.remove(force=True, v=True)


def wait_ready(
    role: str, container: Container, probe: Any, timeout: float, what: str,
    interval: float = 0.5, abort: Any = None,
) -> Any:  # fmt: skip
    """``probe``'s first truthy answer; a container that exits, ``abort``'s answer (what
    else makes waiting pointless), or the deadline, ends the wait with a SetupError that
    quotes the container's log."""

    def exited() -> str | None:
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs["State"].get("ExitCode")
            return f"the {role} container exited (status {code})"
        return abort() if abort is not None else None

    try:
        return wait_for(probe, timeout, what, interval=interval, abort=exited)
    except WaitTimeout as exc:
        raise SetupError(role, str(exc), container_log_tail(container)) from None


@dataclass(frozen=True)
class FileEntry:
    """One file, directory or link of an archive put into a container at /."""

    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    mode: int = 0o644
    owner: int = 0  # uid and gid
    link: str = ""


def tar(entries: list[FileEntry]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type, info.mode, info.uid, info.gid = e.kind, e.mode, e.owner, e.owner
            info.linkname, info.size, info.mtime = e.link, len(e.data), int(time.time())
            archive.addfile(info, io.BytesIO(e.data) if e.data else None)
    return buf.getvalue()


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False
