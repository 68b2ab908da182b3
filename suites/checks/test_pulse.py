"""Pulse: every app's own program plays its own tone; its stream is a stream of the gnome
container's server with the app's process properties, audible in that stream itself (its own
monitor, so another app's tone cannot count), silenced by volume 0 from the gnome side, and
the server is not on TCP."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import asdict
from typing import Any

import pytest

from seatcheck import marks, roles
from seatcheck.drivers import mixer
from seatcheck.drivers.shell import ShellDriver
from seatcheck.probes import net, pulse
from seatcheck.topology import Seat
from seatcheck.waits import wait_for

from .common import (
    AUDIBLE,
    PEAK_WINDOW,
    SEAT_ROLES,
    Present,
    Record,
    app_of,
    app_stream,
    container_of,
)

pytestmark = pytest.mark.family("pulse")

SILENT = 0.02
PULSE_TCP_PORT = 4713


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_pulse_app_stream_on_gnome_server(
    seat: Seat, server: Any, presentation: Present, role: str, record_property: Record
) -> None:
    """The app's own stream (found by its container's host name and its program's binary, as
    libpulse sets them) is a sink input of the gnome container's server, on the default sink,
    with the seat's machine id and the seat user as its process properties. Not looked at:
    ALSA-only clients through the pulse plugin (the apps play through libpulse), recording
    streams, and any stream of the app's other than the first found."""
    stream = app_stream(seat, server, presentation, role)
    record_property("stream", asdict(stream))
    assert stream.sink_name == stream.default_sink, (
        f"expected {role}'s stream on the default sink {stream.default_sink!r}; found "
        f"{stream.sink_name!r}"
    )
    expected = {
        "application.process.machine_id": seat.pulse.machine_id,
        "application.process.user": seat.config.seat_user,
    }
    found = {key: stream.properties.get(key) for key in expected}
    assert found == expected, (
        f"expected {role}'s stream to carry the seat's process properties {expected}; found {found}"
    )


def _found_streams(seat: Seat, server: Any, presentation: Present) -> dict[str, pulse.StreamInfo]:
    """The streams of the profile's apps that were found (a role whose stream is missing
    fails its own checks through ``_stream``)."""
    found = {}
    for role in roles.APP_ROLES:
        if role not in seat.config.profile.apps:
            continue
        try:
            found[role] = app_stream(seat, server, presentation, role)
        except pytest.fail.Exception:
            continue
    return found


@pytest.fixture(scope="module")
def loud_peaks(seat: Seat, server: Any, presentation: Present) -> dict[str, list[float]]:
    """Every app's stream read on its own monitor, all at once. A stream that has just started
    may still be filling its buffer: up to four readings each, stopping at the first loud one."""
    return pulse.stream_peaks_at_once(
        seat.pulse.host_socket, seat.pulse_cookie(), _found_streams(seat, server, presentation),
        PEAK_WINDOW, readings=4, stop_above=AUDIBLE,
    )  # fmt: skip


@pytest.fixture(scope="module")
def muted_peaks(seat: Seat, server: Any, presentation: Present) -> dict[str, list[float]]:
    """Every app's stream at volume 0, set from the gnome side, read on its own monitor: all
    at once, two readings each (the first may still hold what was played before)."""
    streams = _found_streams(seat, server, presentation)
    try:
        for stream in streams.values():
            mixer.set_stream_volume(server, stream, 0.0)
        return pulse.stream_peaks_at_once(
            seat.pulse.host_socket, seat.pulse_cookie(), streams, PEAK_WINDOW, readings=2
        )
    finally:
        for stream in streams.values():
            mixer.set_stream_volume(server, stream, 1.0)


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_pulse_app_stream_audible(
    seat: Seat, server: Any, presentation: Present, loud_peaks: dict[str, list[float]],
    role: str, record_property: Record,
) -> None:  # fmt: skip
    """The app's own stream peaks above 0.5 of full scale on its own monitor (the stream alone,
    up to four readings of 0.6 s). Not looked at: the tone's frequency (recorded, not judged),
    what a sound card plays (the card check listens), and ALSA-only clients through the pulse
    plugin."""
    app_stream(seat, server, presentation, role)
    peaks = loud_peaks[role]
    record_property("stream_peaks", peaks)
    record_property("tone_hz", presentation(role).frequency)
    assert max(peaks) > AUDIBLE, (
        f"expected {role}'s own stream to peak above {AUDIBLE} on its monitor; found "
        f"{max(peaks):.3f}"
    )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_pulse_volume_zero_from_gnome_silences(
    seat: Seat, server: Any, presentation: Present, muted_peaks: dict[str, list[float]],
    role: str, record_property: Record,
) -> None:  # fmt: skip
    """With its volume set to 0 from the gnome side (the sink input's volume on the server), the
    app's stream peaks below 0.02 on its own monitor in two readings. Not looked at: mute, the
    sink's own volume, and an app that puts its volume back later (the readings last about a
    second)."""
    app_stream(seat, server, presentation, role)
    peaks = muted_peaks[role]
    record_property("stream_peaks_at_volume_zero", peaks)
    assert max(peaks) < SILENT, (
        f"expected {role}'s stream silent once gnome's server sets its volume to 0 (peak "
        f"below {SILENT}); found peak {max(peaks):.3f}"
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_pulse_server_not_on_tcp(
    seat: Seat,
    server: Any,
    tcp_listeners: dict[str, list[net.Listener]],
    role: str,
    record_property: Record,
) -> None:
    """gnome's server loads no TCP module, and no TCP listener in any seat container's
    network namespace (port 4713 or any other: a bridge to the pulse socket) lets a pulse
    client in, asked from inside that namespace without the seat's cookie. Not looked at:
    pulse's native protocol over UDP (it has none) and RTP streams."""
    container_of(seat, role)  # skips where the profile has no such app
    modules = pulse.tcp_modules(server)
    listeners = tcp_listeners[role]
    record_property("pulse_tcp", {"modules": modules,
                                  "listening": {str(x): x.pulse for x in listeners}})  # fmt: skip
    open_to = [x for x in listeners if x.pulse or x.port == PULSE_TCP_PORT]
    assert not modules and not open_to, (
        f"expected the pulse server not to be reachable over TCP from {role}; found "
        f"modules {modules or 'none'}, "
        + ("; ".join(f"{x}: {x.pulse or 'listening on the pulse port'}" for x in open_to)
           or "no listener")
    )  # fmt: skip


CARD_STEP = 3.0  # seconds of each step on the card; the host reads up to 3 s of each
APP_TONES = (997, 1240, 523)  # the presentations' own tones: the card tone keeps clear of them


def _mixing_products(tones: tuple[int, ...], order: int = 3) -> set[int]:
    """The app tones, their harmonics and their sums and differences up to ``order`` (where a
    mixer's or a resampler's distortion puts energy while they play)."""
    found = set()
    for weights in itertools.product(range(-order, order + 1), repeat=len(tones)):
        if 0 < sum(map(abs, weights)) <= order:
            found.add(abs(sum(w * t for w, t in zip(weights, tones, strict=True))))
    return found - {0}


def _card_frequency() -> int:
    products = _mixing_products(APP_TONES)
    while True:
        freq = secrets.randbelow(2200) + 400
        if all(abs(freq - p) > 40 for p in products):
            return freq


def test_pulse_tone_reaches_the_sound_card(
    seat: Seat, server: Any, record_property: Record
) -> None:
    """A tone of a frequency chosen for this run, played in the shell app, is on a sound card's
    sink; the card's own output (qemu's wav file, read by the host that watches the marks) must
    hold it, and hold samples without it once gnome sets the stream's volume to 0. The host
    judges the wav and puts its verdict on this check. Not looked at: the apps' own streams on
    the card (only this tone, from the shell app's pacat), recording from the card, and
    ALSA-only clients through the pulse plugin."""
    if seat.config.profile.sink != "hardware":
        pytest.skip(f"the {seat.config.profile.name} profile plays into a null sink: no sound card")
    if not marks.watched():
        pytest.skip(
            "nothing outside this machine records its sound card's output (`seatcheck vm` "
            "does: its host reads the VM card's wav file)"
        )
    shell = app_of(seat, roles.SHELL)
    freq = _card_frequency()
    # What the card carries at that frequency before its tone, the other apps playing: "gone"
    # at volume 0 is judged against it.
    marks.mark(f"card-before-{freq}")
    time.sleep(CARD_STEP)
    launch = ShellDriver(shell, seat.config.seat_user).play_tone(freq)
    stream = wait_for(
        lambda: pulse.find_named_stream(server, launch.title), 30, "the card tone's stream"
    )
    api = pulse.sink_driver(server, stream.sink)
    record_property("card_tone", {"frequency": freq, "sink": stream.sink_name, "api": api})
    assert api == "alsa", (
        f"expected the card tone on a sound card's sink (device.api alsa); found "
        f"{stream.sink_name} driven by {api}"
    )
    marks.mark(f"card-tone-{freq}")
    time.sleep(CARD_STEP)
    lag = pulse.output_latency(server, stream)
    record_property("card_output_latency_s", round(lag, 3))
    mixer.set_stream_volume(server, stream, 0.0)
    # What was already on its way still plays at full volume: the silent step starts once it
    # has (an HDA sink under emulation buffered long enough to leak the tone into the step).
    time.sleep(min(0.3 + lag, CARD_STEP))
    marks.mark(f"card-silent-{freq}")
    time.sleep(CARD_STEP)
    marks.mark("card-end")
    mixer.set_stream_volume(server, stream, 1.0)
