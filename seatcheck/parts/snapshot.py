"""Snapshots (the recipe's workflow): a running app container committed to an image, and a
container started from that image that joins the seat like the original.

The image carries the run's labels (a commit keeps the container's), so teardown removes it
unless the run keeps snapshots (``--seatcheck-keep-snapshots``).
"""

from __future__ import annotations

from docker.models.containers import Container
from docker.models.images import Image

from ..context import SeatContext
from ..engine import execs
from ..engine.labels import KEEP
from .app import AppPart
from .base import run_to_end, wait_ready

REPOSITORY = "seatcheck-snapshot"


def commit(seat: SeatContext, container: Container, role: str, keep: bool = False) -> Image:
    """The running container as an image (the engine pauses it for the commit)."""
    labels = dict(container.labels)
    if keep:
        labels[KEEP] = "true"
    return container.commit(
        repository=f"{REPOSITORY}/{role}", tag=seat.session, conf={"Labels": labels},
        message=f"seatcheck snapshot of {container.name}",
    )  # fmt: skip


def start_from(seat: SeatContext, role: str, image: Image) -> Container:
    """A container of ``image`` joined to the seat as ``role``'s app is (gnome's IPC
    namespace, the shared /tmp, the seat network, its devices), under the role
    ``<role>-snapshot``. (Chromium's profile lock carried in the snapshot names the original's
    host: the chrome image's /etc/chromium.d/seatcheck-stale-locks clears it.)"""
    part = AppPart(seat, role)
    args = {**part.create_args(), "image": image.id}
    snap_role = f"{role}-snapshot"
    container = seat.create(
        snap_role, remember=False, name=seat.name_of(snap_role), command=["sleep", "infinity"],
        **args,
    )  # fmt: skip
    container.put_archive("/", part.overlay(seat.pulse))
    container.start()
    wait_ready(snap_role, container, lambda: container.status == "running", 30, "it to run")
    return container


def read_alone(
    seat: SeatContext, role: str, image: Image, script: str, timeout: float = 30
) -> execs.ExecResult:
    """``script`` run in a container of ``image`` with nothing of the seat: no volume (the
    shared /tmp is where the original's state would hide), no network, no devices. What it
    reads is what the image itself carries."""
    probe_role = f"{role}-snapshot-alone"
    container = seat.create(
        probe_role, remember=False, image=image.id, network_mode="none",
        command=["timeout", "--kill-after=2", f"{timeout:g}", "sh", "-c", script],
    )  # fmt: skip
    return run_to_end(container, ("sh", "-c", script), timeout)
