"""The squid cache's directory carries a home directory's label (the recipe's host folder
for the cache, made by hand and never labelled for containers), relabelled as squid starts:
under enforcing SELinux the confined squid may no longer write there."""

import subprocess
from pathlib import Path
from typing import Any


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "squid":
        name = str((seat.facts.squid or {}).get("volume", ""))
        cache = Path(seat.client.volumes.get(name).attrs["Mountpoint"])
        subprocess.run(["chcon", "-R", "-t", "user_home_t", str(cache)], check=True, timeout=60)
