"""The squid cache's directory carries a home directory's label (the recipe's host folder
for the cache, made by hand and never labelled for containers), relabelled as squid starts:
under enforcing SELinux the confined squid may no longer write there. The cache outlives the
run (the next seats in the VM use it: measured, the engine could not even lstat it), so its
label is put back when the run ends."""

import subprocess
from pathlib import Path
from typing import Any

CONTAINER_FILE = "system_u:object_r:container_file_t:s0"
_relabelled: list[Path] = []


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "squid":
        name = str((seat.facts.squid or {}).get("volume", ""))
        cache = Path(seat.client.volumes.get(name).attrs["Mountpoint"])
        subprocess.run(["chcon", "-R", "-t", "user_home_t", str(cache)], check=True, timeout=60)
        _relabelled.append(cache)


def pytest_unconfigure(config: Any) -> None:
    for cache in _relabelled:
        subprocess.run(["chcon", "-R", CONTAINER_FILE, str(cache)], check=False, timeout=60)
