"""What every app driver shares: unique titles, bounded background programs."""

from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass

from docker.models.containers import Container

from ..engine import execs
from ..waits import time_scale

PROGRAM_LIFETIME = 600  # seconds: a program started in the background ends by itself


def lifetime() -> int:
    """PROGRAM_LIFETIME on this machine: longer where the seat runs slower (under emulation a
    run takes longer than 600 s, and a program that ends takes its window and stream along)."""
    return int(PROGRAM_LIFETIME * time_scale())


@dataclass(frozen=True)
class Launch:
    role: str
    title: str
    command: tuple[str, ...]


@dataclass(frozen=True)
class Presentation:
    """An app's own program showing ``colour`` in a window titled ``title`` and playing a
    tone of ``frequency`` Hz on the seat's pulse server."""

    role: str
    title: str
    colour: tuple[int, int, int]
    frequency: int
    stream_binary: str  # application.process.binary its pulse stream must carry
    launches: tuple[Launch, ...]


def unique_title(role: str) -> str:
    return f"seatcheck-{role}-{secrets.token_hex(4)}"


class AppDriver:
    """One app role's program. ``present`` shows a colour and plays a tone through it;
    ``open_window`` opens a plain titled window."""

    role = ""
    frequency = 0  # Hz: each app its own, so that a stream's tone tells whose it is
    colour = (0, 0, 0)  # an unusual colour of its own: no desktop default draws it
    stream_binary = ""

    def __init__(self, container: Container, user: str) -> None:
        self.container = container
        self.user = user

    def open_window(self) -> Launch:
        raise NotImplementedError

    def present(self) -> Presentation:
        raise NotImplementedError

    def start(
        self, title: str, command: tuple[str, ...], env: dict[str, str] | None = None
    ) -> Launch:
        """Start ``command`` as the seat user in the background, its output in
        ``$HOME/<title>.log``; bounded by ``PROGRAM_LIFETIME`` even if nobody stops it."""
        execs.run(
            self.container,
            ["sh", "-c", f"exec timeout {lifetime()} {shlex.join(command)} "
             f">$HOME/{title}.log 2>&1"],
            user=self.user,
            environment=env,
            detach=True,
        )  # fmt: skip
        return Launch(self.role, title, command)

    def full_log(self, title: str, limit: int = 2_000_000) -> str:
        """What a started program printed so far (its first ``limit`` bytes)."""
        res = execs.shell(self.container, f"head -c {limit} $HOME/{title}.log", user=self.user)
        return res.stdout

    def log(self, title: str) -> str:
        """The last lines a started program printed (for a failure message)."""
        res = execs.shell(self.container, f"tail -c 600 $HOME/{title}.log", user=self.user)
        return res.stdout.strip()
