"""SELinux: shared volumes carry the shared label (``:z``, level s0), never a private one,
host paths bound into the seat keep their labels, and processes carry container labels.

Labels are read from the ``security.selinux`` attribute and /proc/<pid>/attr/current. Where
SELinux is disabled the checks that need enforcement skip, and the label-reading ones run."""

from __future__ import annotations

import pytest

from seatcheck import roles
from seatcheck.probes import selinux
from seatcheck.topology import Seat

from .common import SEAT_ROLES, Record, container_of


def _disabled_reason() -> str:
    return "SELinux is disabled on this host (no /sys/fs/selinux): the engine applies no labels"


def test_selinux_shared_volume_not_private(seat: Seat, record_property: Record) -> None:
    raw = selinux.file_label(seat.tmp_path)
    context = selinux.parse_context(raw) if raw else None
    record_property("common_tmp_label", {"path": str(seat.tmp_path), "label": raw})
    assert context is None or context.shared, (
        f"expected the shared /tmp volume to carry a shared label (level s0, as :z gives); "
        f"found the private label {raw!r}"
    )


def test_selinux_shared_volume_labelled_for_containers(seat: Seat, record_property: Record) -> None:
    if selinux.mode() == "disabled":
        pytest.skip(_disabled_reason())
    expected, source = selinux.expected_file_context()
    raw = selinux.file_label(seat.tmp_path)
    record_property("common_tmp_label", {"label": raw, "expected": expected, "from": source})
    found, want = selinux.parse_context(raw), selinux.parse_context(expected)
    assert found and want and (found.type, found.level) == (want.type, "s0"), (
        f"expected the shared /tmp volume labelled {want.type if want else expected}:s0 "
        f"(from {source}); found {raw or 'no label'}"
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_selinux_shared_mounts_use_z(seat: Seat, role: str, record_property: Record) -> None:
    container = container_of(seat, role)
    container.reload()
    mounts = [m for m in container.attrs["Mounts"] if m.get("Destination") == "/tmp"]
    record_property("tmp_mount", mounts)
    assert mounts, f"expected the shared volume mounted at /tmp in {role}; found no such mount"
    mode = str(mounts[0].get("Mode", ""))
    options = set(mode.split(","))
    assert "z" in options and "Z" not in options, (
        f"expected the shared /tmp mounted with :z (shared label) in {role}; found mode {mode!r}"
    )


def test_selinux_host_paths_keep_labels(seat: Seat, record_property: Record) -> None:
    before = seat.host_labels_before
    now = {path: selinux.file_label(path) for path in before}
    record_property("host_labels", {"before": before, "now": now})
    changed = {p: (before[p], now[p]) for p in before if before[p] != now[p]}
    assert before, "expected a snapshot of the labels of host paths bound into the seat"
    assert not changed, "expected host paths bound into the seat to keep their labels; found " + (
        "; ".join(f"{p}: {a or 'none'} -> {b or 'none'}" for p, (a, b) in changed.items())
    )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_selinux_app_process_label_matches_gnome(
    seat: Seat, role: str, record_property: Record
) -> None:
    if selinux.mode() == "disabled":
        pytest.skip(_disabled_reason().replace("the engine applies no labels", "no process labels"))
    gnome, app = seat.gnome(), seat.app(role)
    gnome.reload()
    app.reload()
    labels = {
        "gnome": selinux.process_label(gnome.attrs["State"]["Pid"]),
        role: selinux.process_label(app.attrs["State"]["Pid"]),
    }
    record_property("process_labels", labels)
    problems = selinux.process_label_problems(labels["gnome"], labels[role])
    assert not problems, f"expected {role}'s process label to fit gnome's; found {problems}"
