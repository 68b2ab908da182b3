"""Secrets bound in, never baked: the run's fresh secrets (a key and a config with an API
token) are bound read-only into the shell app; the seat user reads them with their modes, and
their bytes are in no image built during the run, no container's writable layer, environment or
labels (and, scanned after the report is written, in no report or log: the plugin's job)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

import pytest

from seatcheck import roles
from seatcheck.engine import execs, labels
from seatcheck.probes import leaks, proc
from seatcheck.topology import Seat

from .common import Record, app_of

pytestmark = pytest.mark.family("secrets")


def test_secrets_bound_read_only_for_the_seat_user(seat: Seat, record_property: Record) -> None:
    """At their mount point in the shell app, the seat user lists the run's secret files with
    the host's modes and bytes (by sha256), and a write there fails as read-only, even for root.
    Not looked at: the files' owners, names that start with a dot (the listing is of *), and the
    other app containers."""
    shell = app_of(seat, roles.SHELL)
    found = seat.secrets.get()
    user = seat.config.seat_user
    where = found.mount_point(user)
    listing = execs.check(
        shell, ["sh", "-c", f'cd {where} && for f in *; do echo "$f $(stat -c %a "$f") '
                            f'$(sha256sum < "$f" | cut -d" " -f1)"; done'],
        user=user, timeout=15,
    )  # fmt: skip
    inside = {n: (m, h) for n, m, h in (line.split() for line in listing.stdout.splitlines())}
    wanted = {
        name: (f"{mode:o}", hashlib.sha256((found.folder / name).read_bytes()).hexdigest())
        for name, mode in found.modes.items()
    }
    record_property("secrets", {"mount": where, "inside": inside, "files": sorted(wanted)})
    assert inside == wanted, (
        f"expected the seat user to read {sorted(wanted)} at {where} with modes "
        f"{ {n: m for n, (m, _) in wanted.items()} } and the host's bytes; found {inside}"
    )
    write = execs.run(shell, ["touch", f"{where}/written"], user="root", timeout=10)
    record_property("write_attempt", write.describe())
    said = (write.stdout + write.stderr).strip()
    assert not write.ok and "Read-only" in said, (
        f"expected {where} read-only in the shell app (even for root); found "
        + ("the write allowed" if write.ok else said)
    )


def test_secrets_in_no_layer_environment_or_image(seat: Seat, record_property: Record) -> None:
    """The run's secret, as it is or hex- or base64-encoded (at any alignment, as credential
    stores write it), in no writable layer, volume (common_tmp, an image's VOLUME), tmpfs
    (shared memory, /run) or environment of any seat container, no environment or argument
    list of any process running in one, and
    no image made during the run (snapshots included); images older than the secret are not
    counted, they cannot hold it. Not looked at: squid's package cache volume (it holds what
    the mirrors served), SysV shared memory segments, other encryptions or compressions of
    the secret."""
    found = seat.secrets.get()
    needles = leaks.Needles.of(found.token)
    scan = leaks.Scan()
    containers = seat.client.containers.list(filters={"label": f"{labels.SESSION}={seat.session}"})
    assert containers, f"expected the seat's containers to scan; found none of {seat.session}"
    volumes: dict[str, Path] = {}
    memory: set[tuple[str, Path]] = set()
    bound = found.mount_point(seat.config.seat_user)
    processes = 0
    for container in containers:
        leaks.scan_tree(leaks.writable_layer(container), needles, scan,
                        f"{container.name}'s writable layer")  # fmt: skip
        scan.found += [f"{container.name}'s {where}" for where in
                       leaks.config_holds(container, needles)]  # fmt: skip
        scan.places += 1
        volumes.update(leaks.volumes_of(container, leave_out=(seat.config.squid_volume,)))
        pid = proc.pid_of(container)
        pids = proc.same_pid_namespace(pid)
        processes += len(pids)
        scan.found += [f"{container.name}'s process {where}"
                       for where in leaks.processes_hold(pids, needles)]  # fmt: skip
        for mount in proc.memory_mounts(pid):  # shared memory, /run: files nothing else shows
            if mount != bound:  # where the secrets belong (a tmpfs where the host's /run is)
                memory.add((f"{container.name}'s {mount}", Path(f"/proc/{pid}/root{mount}")))
    for name, folder in sorted(volumes.items()):
        leaks.scan_tree(folder, needles, scan, f"volume {name}")
    for label, folder in sorted(memory):
        leaks.scan_tree(folder, needles, scan, f"tmpfs {label}")
    newer = [
        image for image in seat.client.images.list()
        if _created(image.attrs.get("Created", "")) >= found.made_at
    ]  # fmt: skip
    for image in newer:
        for layer in leaks.image_layers(image)[:1]:  # its own layer: the ones below are older
            leaks.scan_tree(layer, needles, scan, f"image {image.short_id}'s layer")
    made = [i.short_id for i in newer]
    record_property("secret_scan", {**asdict(scan), "containers": len(containers),
                                    "volumes": sorted(volumes), "processes": processes,
                                    "tmpfs": sorted(label for label, _ in memory),
                                    "forms": sorted(needles.forms),
                                    "images_made_during_run": made})  # fmt: skip
    assert scan.files and volumes and processes, (
        "expected files, volumes and processes to scan in the seat; found "
        f"{scan.files} files, volumes {sorted(volumes)}, {processes} processes"
    )
    assert not scan.found, (
        f"expected the run's secret in no image, writable layer, volume or environment "
        f"({scan.places} places, {scan.files} files, {processes} processes scanned); found it "
        "in " + "; ".join(scan.found[:5])
    )


def _created(stamp: str) -> float:
    """The engine's RFC 3339 creation time as epoch seconds."""
    from datetime import datetime

    if not stamp:
        return 0.0
    head = stamp.split(".")[0].rstrip("Z")
    return datetime.fromisoformat(head + "+00:00").timestamp()
