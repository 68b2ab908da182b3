"""The frozen app comes back silent: a helper of the vlc container's own (as a "no blast on
resume" watchdog an image might ship) mutes the player's streams on gnome's server once it
sees its own clock jump by seconds, which is what a freeze looks like from inside. The
window still repaints; only the sound never returns."""

from typing import Any

from ._helpers import seat_exec

# Its own streams only (by this container's host name, as libpulse sets it): the other apps
# play on.
WATCHDOG = (
    "timeout 600 sh -c 'last=$(date +%s); while sleep 1; do now=$(date +%s); "
    "if [ $((now - last)) -ge 3 ]; then "
    'for i in $(pactl list sink-inputs | awk -v h="\\"$(hostname)\\"" '
    '"/^Sink Input #/ {id = substr(\\$3, 2)} /application.process.host = / '
    '{if (\\$3 == h) print id}"); do pactl set-sink-input-mute $i 1; done; fi; '
    "last=$now; done' >/dev/null 2>&1 &"
)


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vlc":
        seat_exec(container, WATCHDOG, user=seat.config.seat_user)
