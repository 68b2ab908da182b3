"""What the VM's sound card played, as qemu's wav backend wrote it on the host: the power of
a tone's frequency in a stretch of the file (between two marks' byte offsets) against the
noise floor around it (Goertzel's algorithm: one frequency, no FFT library needed)."""

from __future__ import annotations

import math
import statistics
import struct
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import ProbeError


@dataclass(frozen=True)
class ToneReading:
    frequency: int
    frames: int  # how many sample frames the stretch holds (0: the card wrote nothing)
    peak_hz: int  # the strongest frequency within 40 Hz of it, in 2 Hz steps (evidence)
    power_db: float  # the tone's power, dB relative to the noise floor around it
    noise_floor: float
    rms: float  # the whole stretch's level (0..1)
    level_db: float = float("-inf")  # the tone's own power, dB of full scale

    def describe(self) -> str:
        return (
            f"{self.frames} frames, {self.frequency} Hz at {self.power_db:+.1f} dB over the "
            f"noise floor, {self.level_db:.1f} dB of full scale (strongest near it: "
            f"{self.peak_hz} Hz), RMS {self.rms:.4f}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _goertzel(samples: list[float], rate: int, freq: float) -> float:
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(len(samples), 1) ** 2


def _hann(samples: list[float]) -> list[float]:
    n = len(samples)
    if n < 2:
        return samples
    return [x * (0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1))) for i, x in enumerate(samples)]


def read_stretch(path: Path, start: int, stop: int) -> tuple[list[float], int]:
    """The first channel of the file's frames between byte offsets ``start`` and ``stop``
    (offsets as the file grew: the header comes first), and the sample rate."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            header = path.stat().st_size - wav.getnframes() * width * channels
    except (OSError, wave.Error, EOFError) as exc:
        raise ProbeError(f"cannot read the VM's sound card file {path}: {exc}") from None
    if width != 2:
        raise ProbeError(f"{path}: {8 * width}-bit samples; expected 16-bit")
    frame = width * channels
    first = max(0, (start - header) // frame)
    last = max(first, (stop - header) // frame)
    with open(path, "rb") as raw:
        raw.seek(header + first * frame)
        data = raw.read((last - first) * frame)
    count = len(data) // frame
    values = struct.unpack(f"<{count * channels}h", data[: count * frame])
    return [v / 32768.0 for v in values[::channels]], rate


def tone_reading(path: Path, start: int, stop: int, frequency: int) -> ToneReading:
    samples, rate = read_stretch(path, start, stop)
    # The stretch's first 0.2 s and last 0.5 s are left out (a mark's offset is read a moment
    # after its step began, and the next step's change may reach the card before the next
    # offset is read), and READ_S of it is read: stretches are compared read alike.
    samples = samples[int(0.2 * rate) : max(int(0.2 * rate), len(samples) - int(0.5 * rate))]
    samples = samples[: int(READ_S * rate)]
    if not samples:
        return ToneReading(frequency, 0, 0, float("-inf"), 0.0, 0.0)
    rms = math.sqrt(sum(x * x for x in samples) / len(samples))
    power = _goertzel(samples, rate, frequency)
    # The floor: the median power at frequencies around it, away from every app's own tone.
    probes = [frequency * f for f in (0.71, 0.77, 0.83, 1.19, 1.29, 1.37, 1.43)]
    floor = statistics.median(_goertzel(samples, rate, f) for f in probes)
    db = 10 * math.log10(max(power, 1e-20) / max(floor, 1e-20))
    near = samples[: int(1.2 * rate)]
    peak = max(range(frequency - 40, frequency + 41, 2), key=lambda f: _goertzel(near, rate, f))
    # The tone's own level, read through a Hann window: unwindowed, a line 6 Hz away (which
    # the other apps' tones make on the VM's card) leaks into the tone's frequency by -122 to
    # -65 dB of full scale with the stretch's length alone (VM run of bc3c044, 1089 Hz: a
    # volume-0 stretch read +13.4 dB over its floor, before the tone -47.3 dB, the same
    # samples there). Windowed, both read -133 and -126 dB.
    level = round(10 * math.log10(max(_goertzel(_hann(samples), rate, frequency), 1e-20)), 1)
    return ToneReading(frequency, len(samples), peak, round(db, 1), floor, round(rms, 4), level)


TONE_OVER_NOISE_DB = 20.0  # "well above the noise": a hundredfold the power around it
SILENT_BELOW_DB = 10.0
# At volume 0: the frequency's own power within 6 dB of what it was before the tone played
# (its power, not its height over a floor: the floor around it moves with the other apps'
# tones' leakage, from stretch to stretch).
AS_BEFORE_DB = 6.0
READ_S = 2.3  # seconds of each stretch read (a step's 3 s less the edges left out)


def judge_card_tone(wav: Path, offsets: dict[str, int]) -> dict[str, Any] | None:
    """The verdict on the card tone from the wav file and the marks' byte offsets (None
    where the run made no card tone). Samples must be there in both steps: a suspended sink
    writes nothing, and nothing is not silence."""
    tone = next((n for n in offsets if n.startswith("card-tone-")), None)
    silent = next((n for n in offsets if n.startswith("card-silent-")), None)
    if tone is None or silent is None or "card-end" not in offsets:
        return None
    freq = int(tone.rsplit("-", 1)[1])
    played = tone_reading(wav, offsets[tone], offsets[silent], freq)
    muted = tone_reading(wav, offsets[silent], offsets["card-end"], freq)
    # Before the tone, with the other apps' tones playing as they play at volume 0: the
    # reference for "gone" (their mixing products can put energy near any frequency).
    before_mark = f"card-before-{freq}"
    before = tone_reading(wav, offsets[before_mark], offsets[tone], freq) if (
        before_mark in offsets
    ) else None  # fmt: skip
    gone = muted.power_db < SILENT_BELOW_DB or (
        before is not None and before.frames > 0
        and muted.level_db <= before.level_db + AS_BEFORE_DB
    )  # fmt: skip
    ok = played.frames > 0 and played.power_db >= TONE_OVER_NOISE_DB and muted.frames > 0 and gone
    reference = f" or within {AS_BEFORE_DB:.0f} dB of before it played" if before else ""
    message = "" if ok else (
        f"expected the sound card's output to hold {freq} Hz at least {TONE_OVER_NOISE_DB:.0f} "
        f"dB over the noise while it played, and samples without it (below "
        f"{SILENT_BELOW_DB:.0f} dB{reference}) at volume 0; found playing: {played.describe()}; "
        f"at volume 0: {muted.describe()}"
        + (f"; before: {before.describe()}" if before else "")
    )  # fmt: skip
    return {
        "outcome": "passed" if ok else "failed",
        "message": message,
        "evidence": {"card_wav": {"playing": played.as_dict(), "volume_zero": muted.as_dict(),
                                  "before": before.as_dict() if before else None,
                                  "offsets": offsets}},
    }  # fmt: skip
