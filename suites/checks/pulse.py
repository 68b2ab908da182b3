"""Pulse: a stream from an app container is a stream of the gnome container's server,
audible on its sink, silenced from the gnome side, and the server is not on TCP."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from seatcheck import execs, roles
from seatcheck.probes import net, pulse
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for

from .common import Record

AUDIBLE = 0.5  # the tone plays at 0.9 of full scale
SILENT = 0.02
PULSE_TCP_PORT = 4713


@pytest.fixture(scope="module")
def server(seat: Seat) -> Iterator[Any]:
    with pulse.connect(seat.pulse_socket, seat.pulse_cookie()) as connection:
        seat.facts["pulse"].update(pulse.server_facts(connection))
        yield connection


@pytest.fixture(scope="module")
def tone(seat: Seat, server: Any) -> pulse.StreamInfo:
    """A tone from the shell container, found on the gnome container's server by its name."""
    media_name = f"seatcheck-tone-{secrets.token_hex(4)}"
    pulse.play_tone(seat.app(roles.SHELL), seat.config.seat_user, media_name)
    try:
        return wait_for(lambda: pulse.find_stream(server, media_name), 20, f"stream {media_name!r}")
    except WaitTimeout:
        log = execs.shell(
            seat.app(roles.SHELL), f"cat $HOME/{media_name}.log", user=seat.config.seat_user
        ).stdout
        names = [si.proplist.get("media.name") for si in server.sink_input_list()]
        pytest.fail(
            f"expected a sink input named {media_name!r} on the gnome container's pulse "
            f"server; found sink inputs {names}. Player output: {log.strip()[-400:]}"
        )


def test_pulse_app_stream_on_gnome_server(
    seat: Seat, tone: pulse.StreamInfo, record_property: Record
) -> None:
    record_property("stream", asdict(tone))
    assert tone.sink_name == tone.default_sink, (
        f"expected the stream on the default sink {tone.default_sink!r}; found {tone.sink_name!r}"
    )
    shell = seat.app(roles.SHELL)
    shell.reload()
    expected = {
        "application.process.host": shell.attrs["Config"]["Hostname"],
        "application.process.machine_id": seat.pulse.machine_id,
        "application.process.user": seat.config.seat_user,
    }
    found = {key: tone.properties.get(key) for key in expected}
    assert found == expected, (
        f"expected the stream to carry the shell container's process properties {expected}; "
        f"found {found}"
    )


def test_pulse_app_stream_audible(
    server: Any, tone: pulse.StreamInfo, record_property: Record
) -> None:
    peaks = [pulse.stream_peak(server, tone, 1.5) for _ in range(3)]
    record_property("stream_peaks", peaks)
    assert max(peaks) > AUDIBLE, (
        f"expected the tone's peak on the sink monitor above {AUDIBLE}; found {max(peaks):.3f}"
    )


def test_pulse_volume_zero_from_gnome_silences(
    server: Any, tone: pulse.StreamInfo, record_property: Record
) -> None:
    pulse.set_stream_volume(server, tone, 0.0)
    try:
        peaks = [pulse.sink_peak(server, tone.sink, 1.5) for _ in range(2)]
    finally:
        pulse.set_stream_volume(server, tone, 1.0)
    record_property("sink_peaks_at_volume_zero", peaks)
    assert max(peaks) < SILENT, (
        f"expected silence on sink {tone.sink_name!r} once the stream's volume is 0 "
        f"(peak below {SILENT}); found peak {max(peaks):.3f}"
    )


def test_pulse_server_not_on_tcp(seat: Seat, server: Any, record_property: Record) -> None:
    modules = pulse.tcp_modules(server)
    ports = net.listening_tcp_ports(seat.gnome())
    record_property("pulse_tcp", {"modules": modules, "listening_ports": sorted(ports)})
    assert not modules and PULSE_TCP_PORT not in ports, (
        "expected the pulse server not to be reachable over TCP; found "
        f"modules {modules or 'none'}, port {PULSE_TCP_PORT} "
        f"{'listening' if PULSE_TCP_PORT in ports else 'closed'}"
    )
