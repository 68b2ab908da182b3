"""The media player app: VLC plays a clip made at test time, so that any ``--image vlc=...``
has it: a video of one colour (YUV4MPEG2, drawn through VLC's OpenGL output) and a tone (WAV,
VLC's pulse output, attached as the clip's audio track with ``--input-slave``)."""

from __future__ import annotations

import io
import math
import struct
import tarfile
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .. import roles
from ..engine import execs
from .base import PROGRAM_LIFETIME, AppDriver, Launch, Presentation, unique_title

# As long as a program may live on the reference machine, played again where a run takes
# longer (under emulation): a clip that ends takes VLC's window title and stream with it. One
# frame a second, 8 kHz mono.
CLIP_SECONDS = PROGRAM_LIFETIME
WIDTH, HEIGHT, FPS = 160, 120, 1
RATE = 8000


def rgb_to_ycbcr(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited range (what a player assumes for SD video without colour metadata)."""
    r, g, b = colour
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(cb), round(cr)


def write_y4m(out: BinaryIO, colour: tuple[int, int, int], seconds: int = CLIP_SECONDS) -> None:
    """A clip of one colour, written frame by frame (a whole clip is 17 MB)."""
    y, cb, cr = rgb_to_ycbcr(colour)
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2\n"
    chroma = (WIDTH // 2) * (HEIGHT // 2)
    frame = b"FRAME\n" + bytes([y]) * (WIDTH * HEIGHT) + bytes([cb]) * chroma + bytes([cr]) * chroma
    out.write(header.encode())
    for _ in range(seconds * FPS):
        out.write(frame)


def y4m_clip(colour: tuple[int, int, int], seconds: int = CLIP_SECONDS) -> bytes:
    buf = io.BytesIO()
    write_y4m(buf, colour, seconds)
    return buf.getvalue()


def write_wav_tone(
    path: Path, frequency: int, seconds: int = CLIP_SECONDS, level: float = 0.9
) -> None:
    """A tone of ``frequency``, written a second at a time (a whole one is 9.6 MB)."""
    period = [
        round(level * 32767 * math.sin(2 * math.pi * frequency * i / RATE)) for i in range(RATE)
    ]
    one_second = struct.pack(f"<{RATE}h", *period)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        for _ in range(seconds):
            out.writeframes(one_second)


def _y4m_file(path: Path, colour: tuple[int, int, int], seconds: int) -> None:
    with path.open("wb") as out:
        write_y4m(out, colour, seconds)


class VlcDriver(AppDriver):
    role = roles.VLC
    frequency = 523
    colour = (220, 120, 30)
    stream_binary = "vlc"

    def _put(self, files: dict[str, Callable[[Path], None]]) -> str:
        """Write files (each by its writer, into a folder on disk) into the seat user's home,
        owned by the user, through an archive on disk; returns the home. Built in memory, a
        clip and its tone (27 MB) were held three times over: 54 MB of the harness's 143 MiB
        peak in a warm run (tracemalloc, 2026-12-02)."""
        home = f"/home/{self.user}"
        ids = int(execs.check(self.container, ["id", "-u", self.user]).stdout.strip())
        with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as archive:
            with tarfile.open(fileobj=archive, mode="w") as tar:
                for name, write in files.items():
                    path = Path(folder) / name
                    write(path)
                    info = tar.gettarinfo(str(path), arcname=name)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o644, ids, ids, "", ""
                    with path.open("rb") as data:
                        tar.addfile(info, data)
            archive.seek(0)
            self.container.put_archive(home, archive)
        return home

    def _play(self, title: str, video: str, audio: str | None) -> Launch:
        command = [
            # -vv: VLC's own log names the video output and GL module it really uses.
            "vlc", "-vv", "--no-qt-privacy-ask", "--no-video-title-show", "--vout=gl",
            "--input-repeat=65535",
            # A late frame is shown, not dropped: at one frame a second, a clock that slips
            # under load (the audio output starting late) could drop every frame, and the
            # window stays black while the tone plays (seen once in a CI fault run).
            "--no-drop-late-frames",
            "--meta-title", title, video,
        ]  # fmt: skip
        command += [f"--input-slave={audio}"] if audio else ["--no-audio"]
        return self.start(title, tuple(command))

    def open_window(self) -> Launch:
        title = unique_title(self.role)
        home = self._put({f"{title}.y4m": lambda p: _y4m_file(p, (0, 0, 0), 30)})
        return self._play(title, f"{home}/{title}.y4m", None)

    def present(self) -> Presentation:
        colour = self.colour
        title = unique_title(self.role)
        home = self._put({
            f"{title}.y4m": lambda p: _y4m_file(p, colour, CLIP_SECONDS),
            f"{title}.wav": lambda p: write_wav_tone(p, self.frequency),
        })  # fmt: skip
        launch = self._play(title, f"{home}/{title}.y4m", f"{home}/{title}.wav")
        return Presentation(self.role, title, colour, self.frequency, self.stream_binary, (launch,))
