"""The shell app: xterm for a window, seatcheck's GL client for a colour, sox and paplay for
a tone (the image ships them: dockerfiles/shell)."""

from __future__ import annotations

from .. import roles
from .base import AppDriver, Launch, Presentation, unique_title

TONE = 'f="$HOME/seatcheck-{freq}.wav"; [ -s "$f" ] || sox -q -n -r 48000 -c 2 -b 16 "$f" synth 120 sine {freq} vol 0.9 || exit 1; exec paplay --client-name=seatcheck-tone --property=media.name={name} "$f"'  # noqa: E501


class ShellDriver(AppDriver):
    role = roles.SHELL
    frequency = 997
    colour = (23, 181, 97)
    stream_binary = "pacat"  # paplay is pacat under another name; libpulse names the binary

    def open_window(self) -> Launch:
        title = unique_title(self.role)
        return self.start(title, ("xterm", "-T", title, "-e", "sleep", "600"))

    def present(self) -> Presentation:
        colour = self.colour
        title = unique_title("gl")
        gl = self.start(title, ("seatcheck-gl-colour", title, *map(str, colour)))
        tone = self.start(
            f"{title}-tone",
            ("sh", "-c", TONE.format(freq=self.frequency, name=title)),
        )
        return Presentation(
            self.role, title, colour, self.frequency, self.stream_binary, (gl, tone)
        )

    def shm_pattern(self, colours: tuple[tuple[int, int, int], ...]) -> Launch:
        """Stripes put on the screen through MIT-SHM (seatcheck-shm-check)."""
        title = unique_title("shm")
        return self.start(
            title, ("seatcheck-shm-check", title, *(",".join(map(str, c)) for c in colours))
        )
