"""Inside the VM: how long until the console is back after the harness was killed (tty1
active and in text mode). ``python3 -m seatcheck.vm.console_wait DEADLINE`` prints the seconds,
or ``timeout``; it only reads the console."""

from __future__ import annotations

import sys
import time

from .. import console

TEXT = 0


def main(argv: list[str]) -> int:
    deadline = float(argv[0]) if argv else 60.0
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        try:
            back = (
                console.active_vt() == console.LOGIN_VT
                and console.read_vt(console.LOGIN_VT).kd_mode == TEXT
            )
        except OSError:
            back = False
        if back:
            print(f"{time.monotonic() - started:.1f}")
            return 0
        time.sleep(0.1)
    print("timeout")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
