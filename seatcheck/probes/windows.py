"""Opening windows from app containers, each with a title unique to the run."""

from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass

from docker.models.containers import Container

from .. import execs, roles


@dataclass(frozen=True)
class Launch:
    role: str
    title: str
    command: tuple[str, ...]


def unique_title(role: str) -> str:
    return f"seatcheck-{role}-{secrets.token_hex(4)}"


def window_command(role: str, title: str, user: str) -> tuple[str, ...]:
    """The command that opens a window titled ``title`` in an app container of ``role``."""
    if role == roles.SHELL:
        return ("xterm", "-T", title, "-e", "sleep", "600")
    if role == roles.CHROME:
        page = f"data:text/html,<title>{title}</title><body style='background:%23fff'>"
        return (
            "chromium",
            f"--user-data-dir=/home/{user}/.cache/seatcheck-chromium-{title}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--password-store=basic",
            f"--app={page}",
        )
    raise ValueError(f"no window command for role {role!r}")


def open_window(container: Container, role: str, user: str) -> Launch:
    """Start the window's program in the background (its wait has its own deadline)."""
    title = unique_title(role)
    command = window_command(role, title, user)
    # Bounded even in the background: the program ends by itself after ten minutes.
    execs.run(
        container,
        ["sh", "-c", f"exec timeout 600 {shlex.join(command)} >/tmp/{title}.log 2>&1"],
        user=user,
        detach=True,
    )
    return Launch(role, title, command)
