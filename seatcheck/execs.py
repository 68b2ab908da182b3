"""Commands inside containers, each with a deadline.

The Docker SDK's exec_run blocks until the command ends. Every command is wrapped in
coreutils ``timeout`` inside the container, so a hung command is killed there; the SDK
client's own socket timeout is the backstop should the engine itself stop answering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from docker.models.containers import Container

from .errors import ProbeError

DEFAULT_TIMEOUT = 30.0


class ExecTimeout(TimeoutError):
    pass


@dataclass(frozen=True)
class ExecResult:
    command: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        out = (self.stdout + self.stderr).strip().splitlines()[-5:]
        return f"`{' '.join(self.command)}` exited {self.exit_code}: " + " | ".join(out)


def run(
    container: Container,
    command: Sequence[str],
    *,
    user: str = "root",
    timeout: float = DEFAULT_TIMEOUT,
    environment: dict[str, str] | None = None,
    detach: bool = False,
) -> ExecResult:
    """Run ``command`` in ``container`` and return its output, killed after ``timeout``."""
    wrapped = ["timeout", "--kill-after=2", f"{timeout:g}", *command]
    if detach:
        container.exec_run(list(command), user=user, environment=environment, detach=True)
        return ExecResult(tuple(command), 0, "", "")
    code, output = container.exec_run(wrapped, user=user, environment=environment, demux=True)
    pair = output if isinstance(output, tuple) else (output, None)
    out, err = (part if isinstance(part, bytes) else b"" for part in pair)
    result = ExecResult(
        tuple(command),
        int(code if code is not None else -1),
        out.decode(errors="replace"),
        err.decode(errors="replace"),
    )
    if result.exit_code in (124, 137):
        raise ExecTimeout(
            f"`{' '.join(command)}` in {container.name} did not finish within {timeout:g}s"
        )
    return result


def shell(container: Container, script: str, **kwargs: object) -> ExecResult:
    return run(container, ["sh", "-c", script], **kwargs)  # type: ignore[arg-type]


def check(container: Container, command: Sequence[str], **kwargs: object) -> ExecResult:
    """``run`` for probes: a command that fails raises ``ProbeError`` with its output, so a
    check never reads an empty answer as evidence."""
    result = run(container, command, **kwargs)  # type: ignore[arg-type]
    if not result.ok:
        raise ProbeError(f"probe failed in {container.name}: {result.describe()}")
    return result
