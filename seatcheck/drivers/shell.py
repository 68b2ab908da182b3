"""The shell app: xterm for a window, seatcheck's GL client for a colour, sox and pacat for
a tone (the image ships them: dockerfiles/shell)."""

from __future__ import annotations

from .. import roles
from .base import AppDriver, Launch, Presentation, lifetime, unique_title

# A sine streamed by sox into pacat for as long as the program may live (a file would have to
# be that long): the stream stays one sink input for the whole run, however slow the machine.
TONE = (
    "sox -q -n -r 48000 -c 2 -b 16 -e signed -t raw - synth {seconds} sine {freq} vol 0.9 | "
    "exec pacat --rate=48000 --channels=2 --format=s16le --client-name=seatcheck-tone "
    "--property=media.name={name}"
)


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
            ("sh", "-c", TONE.format(freq=self.frequency, name=title, seconds=lifetime())),
        )
        return Presentation(
            self.role, title, colour, self.frequency, self.stream_binary, (gl, tone)
        )

    def play_tone(self, frequency: int) -> Launch:
        """A tone of ``frequency`` Hz through pacat, its stream's media.name the launch's
        title (so that it is told apart from the presentation's own tone)."""
        title = unique_title("tone")
        return self.start(
            title, ("sh", "-c", TONE.format(freq=frequency, name=title, seconds=lifetime()))
        )

    def shm_pattern(self, colours: tuple[tuple[int, int, int], ...]) -> Launch:
        """Stripes put on the screen through MIT-SHM (seatcheck-shm-check)."""
        title = unique_title("shm")
        return self.start(
            title, ("seatcheck-shm-check", title, *(",".join(map(str, c)) for c in colours))
        )
