"""The vlc container lacks Mesa's driver for the VM's GPU (an app image slimmed of the DRI
drivers it thought unused): its GL falls back to software, while the node and virgl are there."""

from typing import Any

from ._helpers import seat_exec


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "vlc":
        seat_exec(container, "rm /usr/lib/x86_64-linux-gnu/dri/virtio_gpu_dri.so")
