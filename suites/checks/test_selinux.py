"""SELinux: shared volumes carry the shared label (``:z``, level s0), never a private one,
host paths bound into the seat keep their labels, and processes carry container labels.

Labels are read from the ``security.selinux`` attribute (through each container's own mount
namespace) and /proc/<pid>/attr/current. A check with no label to read skips with that reason:
comparing empty labels proves nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seatcheck import roles
from seatcheck.errors import ProbeError
from seatcheck.probes import proc, selinux
from seatcheck.topology import Seat

from .common import SEAT_ROLES, Record, app_of, container_of

pytestmark = pytest.mark.family("selinux")


def _disabled_reason() -> str:
    return (
        "SELinux is disabled on this host (no /sys/fs/selinux, or no policy loaded): the "
        "engine applies no labels"
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_selinux_shared_volume_not_private(seat: Seat, role: str, record_property: Record) -> None:
    """The files the seat made in the shared volume (the X socket, the pulse runtime dir),
    read through the container's own mount namespace: a shared label (level s0, as ``:z``
    gives), never a private one (``:Z``'s MCS categories lock the other containers out). Not
    looked at: the label's type (the next check judges the volume's), and the other files in the
    shared /tmp (an app's own)."""
    tmp = proc.root_of(container_of(seat, role)) / "tmp"
    paths = [tmp, tmp / ".X11-unix" / "X0", tmp / Path(seat.pulse.runtime_dir).name]
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise ProbeError(f"the seat's files are not in {role}'s /tmp: {', '.join(missing)}")
    labels = {"/" + str(p.relative_to(tmp.parent)): selinux.file_label(p) for p in paths}
    record_property("labels", labels)
    if not any(labels.values()):
        pytest.skip(
            "no security.selinux label on the seat's files in common_tmp (SELinux is disabled "
            "on this host and nothing labelled them): no label to judge"
        )
    private = {p: label for p, label in labels.items() if label and not _shared(label)}
    assert not private, (
        f"expected the seat's files in the shared /tmp to carry a shared label in {role} (level "
        "s0, as :z gives); found the private label(s) "
        + "; ".join(f"{p}: {label!r}" for p, label in private.items())
    )


def _shared(label: str) -> bool:
    context = selinux.parse_context(label)
    return context is not None and context.shared


def test_selinux_shared_volume_labelled_for_containers(seat: Seat, record_property: Record) -> None:
    """The shared /tmp volume, on the host, has the type of the file context container volumes
    get under the host's policy (its lxc_contexts, else container-selinux's default), at level
    s0. Not looked at: the files inside it (the check above reads them), and the seat's other
    volumes (squid's cache, an image's VOLUME)."""
    if selinux.mode() == "disabled":
        pytest.skip(_disabled_reason())
    expected, source = selinux.expected_file_context()
    raw = selinux.file_label(seat.tmp.path)
    record_property("common_tmp_label", {"label": raw, "expected": expected, "from": source})
    found, want = selinux.parse_context(raw), selinux.parse_context(expected)
    assert found and want and (found.type, found.level) == (want.type, "s0"), (
        f"expected the shared /tmp volume labelled {want.type if want else expected}:s0 "
        f"(from {source}); found {raw or 'no label'}"
    )


def test_selinux_host_paths_keep_labels(seat: Seat, record_property: Record) -> None:
    """The host paths bound into the seat (/sys/fs/cgroup and the profile's device paths) carry
    the labels they had before the seat started. Not looked at: the files under a bound
    directory (each path's own label only), and labels changed after this check (teardown comes
    later)."""
    seat.gnome()  # the labels before are read as gnome is stood up
    before = seat.host_labels_before
    now = {path: selinux.file_label(path) for path in before}
    record_property("host_labels", {"before": before, "now": now})
    changed = {p: (before[p], now[p]) for p in before if before[p] != now[p]}
    assert before, "expected a snapshot of the labels of host paths bound into the seat"
    if not any(before.values()) and not any(now.values()):
        pytest.skip(
            "no security.selinux label on the host paths bound into the seat, before or now "
            "(SELinux is disabled on this host): no label to compare"
        )
    assert not changed, "expected host paths bound into the seat to keep their labels; found " + (
        "; ".join(f"{p}: {a or 'none'} -> {b or 'none'}" for p, (a, b) in changed.items())
    )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_selinux_app_process_label_matches_gnome(
    seat: Seat, role: str, record_property: Record
) -> None:
    """The app container's main process runs as a container type at the MCS level of the gnome
    container's main process (an app joined to gnome's IPC namespace shares it). Not looked at:
    the programs started in it through docker exec (an app's main process is sleep infinity),
    and the labels of the files they write."""
    if selinux.mode() == "disabled":
        pytest.skip(_disabled_reason().replace("the engine applies no labels", "no process labels"))
    gnome, app = seat.gnome(), app_of(seat, role)
    gnome.reload()
    app.reload()
    labels = {
        "gnome": selinux.process_label(gnome.attrs["State"]["Pid"]),
        role: selinux.process_label(app.attrs["State"]["Pid"]),
    }
    record_property("process_labels", labels)
    problems = selinux.process_label_problems(labels["gnome"], labels[role])
    assert not problems, f"expected {role}'s process label to fit gnome's; found {problems}"


def test_selinux_seat_denied_nothing(seat: Seat, record_property: Record) -> None:
    """No access of the seat's (a process or a file of a container type, or the engine's)
    was denied by SELinux since the seat began: read from auditd's log where auditd runs,
    else from the kernel's log, where the audit records go when no auditd takes them. Under
    permissive mode a logged denial fails too: enforcing would deny it. Not looked at:
    denials of the host's own services (a service outside the seat), denials the policy does
    not audit (its ``dontaudit`` rules: ``SEATCHECK_VM_SELINUX=permissive`` turns them off to
    look), and records the log has already lost (the kernel's ring overwritten, auditd's log
    rotated)."""
    if selinux.mode() == "disabled":
        pytest.skip(_disabled_reason().replace("the engine applies no labels", "nothing denied"))
    began = seat.timeline.began
    if "audit=0" in Path("/proc/cmdline").read_text().split():
        raise ProbeError("the kernel's audit is off (audit=0 on its command line): no denial "
                         "is logged anywhere, so none could be seen")  # fmt: skip
    try:
        log, source = selinux.denial_log()
    except OSError as exc:
        raise ProbeError(f"the log of SELinux's denials could not be read: {exc}") from exc
    denials = [d for d in selinux.parse_denials(log) if d.stamp >= began and d.seat_related]
    record_property(
        "denials",
        {"mode": selinux.mode(), "from": source, "since": began,
         "seat": [d.__dict__ for d in denials]},
    )  # fmt: skip
    kind = "that enforcing would deny" if any(d.permissive for d in denials) else "denied"
    assert not denials, (
        f"expected SELinux to deny the seat nothing; found {len(denials)} {kind}: "
        + "; ".join(sorted({d.describe() for d in denials}))
    )
