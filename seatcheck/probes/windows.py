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


# Roles whose app opens a titled window of its own for the window-tree check.
WINDOW_ROLES = (roles.SHELL, roles.CHROME, roles.VLC)


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
    if role == roles.VLC:
        # VLC titles its window after the playing input ("T - VLC media player"): play raw
        # silence, made on the spot, under the unique title.
        return (
            "sh", "-c",
            'head -c 4000000 /dev/zero >"$HOME/seatcheck-silence.raw" && exec vlc '
            "--no-qt-privacy-ask --no-audio --loop --demux=rawaud --rawaud-channels=2 "
            f'--rawaud-samplerate=48000 --meta-title {title} "$HOME/seatcheck-silence.raw"',
        )  # fmt: skip
    raise ValueError(f"no window command for role {role!r}")


def open_window(container: Container, role: str, user: str) -> Launch:
    """Start the window's program in the background (its wait has its own deadline)."""
    title = unique_title(role)
    return _start(container, role, title, window_command(role, title, user), user)


def open_gl_colour_window(container: Container, user: str, colour: tuple[int, int, int]) -> Launch:
    """A GL client (in the shell image) that clears its window to ``colour``."""
    title = unique_title("gl")
    command = ("seatcheck-gl-colour", title, *map(str, colour))
    return _start(container, roles.SHELL, title, command, user)


def _start(
    container: Container, role: str, title: str, command: tuple[str, ...], user: str
) -> Launch:
    # Bounded even in the background: the program ends by itself after ten minutes.
    execs.run(
        container,
        ["sh", "-c", f"exec timeout 600 {shlex.join(command)} >$HOME/{title}.log 2>&1"],
        user=user,
        detach=True,
    )
    return Launch(role, title, command)
