"""IPC: every app lives in the gnome container's IPC namespace (not the host's), so MIT-SHM
works between them."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from seatcheck import execs, roles
from seatcheck.probes import ipc
from seatcheck.topology import Seat

from .common import Record


def test_ipc_gnome_namespace_is_shareable(seat: Seat, record_property: Record) -> None:
    facts = ipc.ipc_facts(seat.gnome())
    record_property("gnome_ipc", asdict(facts))
    assert facts.ipc_mode == "shareable", (
        f"expected the gnome container's IPC mode to be shareable; found {facts.ipc_mode!r}"
    )
    assert facts.namespace != ipc.host_namespace(), (
        f"expected the gnome container in an IPC namespace of its own; found the host's "
        f"({facts.namespace})"
    )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_ipc_app_shares_gnome_namespace(seat: Seat, role: str, record_property: Record) -> None:
    gnome = ipc.ipc_facts(seat.gnome())
    app = ipc.ipc_facts(seat.app(role))
    host = ipc.host_namespace()
    record_property("ipc", {"gnome": asdict(gnome), role: asdict(app), "host": host})
    assert app.namespace == gnome.namespace, (
        f"expected the {role} container in the gnome container's IPC namespace "
        f"{gnome.namespace}; found {app.namespace} (IPC mode {app.ipc_mode!r})"
    )
    assert app.namespace != host, f"expected {role} not in the host's IPC namespace {host}"


def test_ipc_mit_shm_from_app(seat: Seat, record_property: Record) -> None:
    result = execs.run(
        seat.app(roles.SHELL), ["seatcheck-shm-check"], user=seat.config.seat_user,
        environment={"DISPLAY": ":0"},
    )  # fmt: skip
    record_property("shm_check", result.stdout.strip() or result.stderr.strip())
    assert result.stdout.strip() == "attached", (
        "expected XShmAttach of a SysV segment from the shell container to succeed; found "
        f"{result.describe()}"
    )
