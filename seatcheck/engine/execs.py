"""Commands inside containers, each with a deadline.

The Docker SDK's exec_run blocks until the command ends. Every command is wrapped in
coreutils ``timeout`` inside the container, so a hung command is killed there; the SDK
client's own socket timeout is the backstop should the engine itself stop answering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docker.models.containers import Container

from ..errors import ProbeError
from ..waits import time_scale

DEFAULT_TIMEOUT = 30.0
_START = "\\036seatcheck-start\\n"  # printf turns \036 into the record separator
_MARK = "\\036seatcheck-exit="
_ANSWER_RE = re.compile("\x1eseatcheck-start\n(.*)\x1eseatcheck-exit=\\d+\n", re.DOTALL)


def unwrap(text: str) -> str | None:
    """A wrapped command's own output, between the line printed before it and the one printed
    after it; None where either is missing (the engine lost the answer's head or its end)."""
    found = _ANSWER_RE.search(text)
    return found.group(1) if found else None


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
    """Run ``command`` in ``container`` and return its output, killed after ``timeout``
    (scaled by ``waits.time_scale``)."""
    timeout *= time_scale()
    if detach:
        container.exec_run(list(command), user=user, environment=environment, detach=True)
        return ExecResult(tuple(command), 0, "", "")
    for attempt in range(3):
        # The engine sometimes loses a fast command's output (moby#27289, docker-py#2042),
        # all of it or only its head: the command is framed by a marker line before and one
        # after, and an answer without both is asked again (after a short pause that lets
        # the engine attach first). A lost head was seen once under load: getent's GID gone
        # and the end marker there, read as an empty answer.
        pause = f"sleep {0.2 * attempt:g}; " if attempt else ""
        wrapped = [
            "sh", "-c",
            f'{pause}printf "{_START}"; timeout --kill-after=2 {timeout:g} "$@"; rc=$?; '
            f'printf "{_MARK}%d\\n" $rc; '
            "exit $rc",
            "sh", *command,
        ]  # fmt: skip
        output: Any
        try:
            code, output = container.exec_run(
                wrapped, user=user, environment=environment, demux=True
            )
        except ValueError as exc:
            # The SDK read payload bytes as a frame header ("32 is not a valid stream": an
            # intermittent race, docker-py#3160; seen in two fault runs in a row under load):
            # the same lost answer, asked again.
            code, output = None, (b"", str(exc).encode())
        pair = output if isinstance(output, tuple) else (output, None)
        out, err = (part if isinstance(part, bytes) else b"" for part in pair)
        answer = unwrap(out.decode(errors="replace"))
        if answer is not None:
            break
    else:
        raise ProbeError(
            f"`{' '.join(command)}` in {container.name}: the engine returned no whole answer "
            f"three times (exit status {code})"
        )
    result = ExecResult(
        tuple(command), int(code if code is not None else -1), answer, err.decode(errors="replace")
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
