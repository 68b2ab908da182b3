"""The desktop's mixer, driven from the host on gnome's pulse server (a state change)."""

from __future__ import annotations

from typing import Any

from ..probes.pulse import StreamInfo


def set_stream_volume(pulse: Any, stream: StreamInfo, volume: float) -> None:
    si = pulse.sink_input_info(stream.index)
    pulse.volume_set_all_chans(si, volume)
