"""One stream's peaks, read by a process of its own (``python -m seatcheck.probes.pulse_peaks``).

pulsectl is not safe to use from several threads at once, even one connection each: measured
here, three threads reading three streams crashed the harness in libpulse's callbacks
(SIGSEGV). A process per stream reads them side by side instead, each under a deadline.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seatcheck.probes.pulse_peaks")
    parser.add_argument("--socket", required=True)  # the cookie comes in PULSE_COOKIE
    parser.add_argument("--sink", type=int, required=True)
    parser.add_argument("--stream", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--readings", type=int, required=True)
    parser.add_argument("--stop-above", type=float, default=None)
    args = parser.parse_args(argv)

    from pathlib import Path

    from .pulse import StreamInfo, connect_with_env_cookie, stream_peak

    stream = StreamInfo(args.stream, args.sink, "", "", 0.0, False, {})
    peaks: list[float] = []
    with connect_with_env_cookie(Path(args.socket)) as pulse:
        while len(peaks) < args.readings:
            peaks.append(stream_peak(pulse, stream, args.seconds))
            if args.stop_above is not None and peaks[-1] > args.stop_above:
                break
    print(json.dumps(peaks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
