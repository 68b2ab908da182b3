"""The seat's pulse server, reached from the host with pulsectl through the shared volume.

The server runs as the seat user; the host side is another uid, so it authenticates with the
server's own cookie (read from the gnome container), never by loosening the server's auth.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProbeError
from ..waits import retry

_env_lock = threading.Lock()


@contextmanager
def connect(socket_path: Path, cookie: bytes, timeout: float = 5.0) -> Iterator[Any]:
    """A connected ``pulsectl.Pulse`` for the server at ``socket_path``."""
    import pulsectl  # loads libpulse: only where a pulse probe really runs

    with tempfile.NamedTemporaryFile(prefix="seatcheck-pulse-cookie-") as cookie_file:
        cookie_file.write(cookie)
        cookie_file.flush()
        # libpulse reads PULSE_COOKIE when the context is made, so set it just for that.
        with _env_lock:
            saved = os.environ.get("PULSE_COOKIE")
            os.environ["PULSE_COOKIE"] = cookie_file.name
            try:
                pulse = pulsectl.Pulse("seatcheck", server=f"unix:{socket_path}", connect=False)
            finally:
                if saved is None:
                    os.environ.pop("PULSE_COOKIE", None)
                else:
                    os.environ["PULSE_COOKIE"] = saved
        try:
            _connect(pulse, timeout)
            yield pulse
        finally:
            pulse.close()


@contextmanager
def connect_with_env_cookie(socket_path: Path, timeout: float = 5.0) -> Iterator[Any]:
    """A connected ``pulsectl.Pulse``; libpulse takes the cookie from PULSE_COOKIE, which the
    caller set for this process alone."""
    import pulsectl

    pulse = pulsectl.Pulse("seatcheck", server=f"unix:{socket_path}", connect=False)
    try:
        _connect(pulse, timeout)
        yield pulse
    finally:
        pulse.close()


def _connect(pulse: Any, timeout: float) -> None:
    """Connect, retrying until ``timeout`` seconds (scaled by ``time_scale``) have passed.

    pulsectl 24.12's ``connect(timeout=T)`` is not used: it polls until T has passed even when
    the server answered at once (measured: 5.04 s for a 5 s timeout on a local socket), and
    a timed-out attempt then waits in its clean-up for libpulse's own 30 s timeout (measured in
    the VM under emulation: a 0.05 s attempt that took 30 s, ending the run's pulse checks).
    Without a timeout pulsectl returns as soon as the context is ready or has failed; a server
    that accepts and never answers is ended by libpulse's handshake timeout (30 s,
    ``DEFAULT_TIMEOUT`` in libpulse's internal.h). A refused or absent socket fails at once and
    is retried until the deadline.
    """
    import pulsectl

    retry(pulse.connect, (pulsectl.PulseError,), timeout, "the pulse server", interval=0.1)


@dataclass(frozen=True)
class StreamInfo:
    index: int
    sink: int
    sink_name: str
    default_sink: str
    volume: float
    mute: bool
    properties: dict[str, str]
    server_id: int = 0  # which connection found it (the index is only valid on that server)


def find_named_stream(pulse: Any, media_name: str) -> StreamInfo | None:
    """The sink input whose media.name is ``media_name``."""
    for si in pulse.sink_input_list():
        if si.proplist.get("media.name") == media_name:
            return _stream_info(pulse, si)
    return None


def _stream_info(pulse: Any, si: Any) -> StreamInfo:
    sink = pulse.sink_info(si.sink)
    return StreamInfo(
        index=si.index,
        sink=si.sink,
        sink_name=sink.name,
        default_sink=pulse.server_info().default_sink_name,
        volume=float(si.volume.value_flat),
        mute=bool(si.mute),
        properties=dict(si.proplist),
        server_id=id(pulse),
    )


def output_latency(pulse: Any, stream: StreamInfo) -> float:
    """Seconds of the stream's audio already on its way to the card: its own buffer, the
    sink's share of it and the sink's latency (a volume change reaches the card that much
    later)."""
    si = pulse.sink_input_info(stream.index)
    sink = pulse.sink_info(stream.sink)
    return (int(si.buffer_usec) + int(si.sink_usec) + int(sink.latency)) / 1e6


def sink_driver(pulse: Any, sink: int) -> str:
    """The module that drives a sink (module-alsa-card for a sound card, module-null-sink)."""
    info = pulse.sink_info(sink)
    return str(info.proplist.get("device.api") or info.driver)


def find_app_stream(pulse: Any, host: str, binary: str) -> StreamInfo | None:
    """The sink input a program ``binary`` in the container with host name ``host`` plays."""
    for si in pulse.sink_input_list():
        props = si.proplist
        if (
            props.get("application.process.host") == host
            and props.get("application.process.binary") == binary
        ):
            return _stream_info(pulse, si)
    return None


def stream_peak(pulse: Any, stream: StreamInfo, seconds: float = 2.0) -> float:
    """The stream's own peak level (0..1) over ``seconds``, measured at the sink's monitor."""
    monitor = pulse.sink_info(stream.sink).monitor_source
    return float(pulse.get_peak_sample(monitor, seconds, stream.index))


def stream_peaks_at_once(
    socket_path: Path,
    cookie: bytes,
    streams: dict[str, StreamInfo],
    seconds: float,
    readings: int,
    stop_above: float | None = None,
) -> dict[str, list[float]]:
    """Each stream's peaks on its own monitor, read at the same time by one process per
    stream (``pulse_peaks``): up to ``readings`` readings of ``seconds`` each, stopping early
    at the first above ``stop_above``."""
    if not streams:
        return {}
    deadline = readings * seconds + 15  # a reading ends by itself; the margin is for start-up
    with tempfile.NamedTemporaryFile(prefix="seatcheck-pulse-cookie-") as cookie_file:
        cookie_file.write(cookie)
        cookie_file.flush()
        env = {**os.environ, "PULSE_COOKIE": cookie_file.name}
        procs = {}
        for key, stream in streams.items():
            command = [
                sys.executable, "-m", "seatcheck.probes.pulse_peaks",
                f"--socket={socket_path}", f"--sink={stream.sink}", f"--stream={stream.index}",
                f"--seconds={seconds}", f"--readings={readings}",
                *([f"--stop-above={stop_above}"] if stop_above is not None else []),
            ]  # fmt: skip
            procs[key] = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        found = {}
        try:
            for key, proc in procs.items():
                out, err = proc.communicate(timeout=deadline)
                if proc.returncode != 0:
                    raise ProbeError(
                        f"reading {key}'s stream {streams[key].index} failed "
                        f"(exit {proc.returncode}): {err.strip()[-500:]}"
                    )
                found[key] = [float(p) for p in json.loads(out)]
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        return found


def sink_peak(pulse: Any, sink: int, seconds: float = 2.0) -> float:
    """The whole sink's peak level (0..1) over ``seconds``: every stream on it."""
    monitor = pulse.sink_info(sink).monitor_source
    return float(pulse.get_peak_sample(monitor, seconds))


def server_facts(pulse: Any) -> dict[str, str]:
    info = pulse.server_info()
    return {
        "server_name": info.server_name,
        "server_version": info.server_version,
        "default_sink": info.default_sink_name,
    }


def tcp_modules(pulse: Any) -> list[str]:
    return [m.name for m in pulse.module_list() if "protocol-tcp" in m.name]
