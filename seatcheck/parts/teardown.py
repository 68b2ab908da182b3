"""Teardown: stop the seat, note what it left in common_tmp, remove everything labelled with
the session, then read the console as the stopped seat left it before putting it back."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import docker.errors

from .. import console
from ..context import SeatContext
from ..engine.labels import anonymous_volumes, leftovers, remove_containers, remove_session
from ..probes import tmpdir


@dataclass
class TeardownReport:
    """What teardown found and did: the evidence the test_teardown_ checks read."""

    failed: list[str]  # what could not be removed
    leftovers: list[str]  # what is still labelled with the session afterwards
    stale_tmp: list[str]  # leftovers of dead servers in common_tmp once the seat stopped
    console_before: console.ConsoleSnapshot | None
    console_after: console.ConsoleSnapshot | None
    console_changed: list[str]  # what the stopped seat left different from before it started
    console_restored: list[str]  # what the harness had to put back (evidence of a fault)
    console_problems: list[str]  # what still differs from the snapshot after the restore
    getty_before: str | None  # `systemctl is-active getty@tty1` before the seat started
    getty: str | None  # the same after teardown; None where the host runs no systemd
    login_screen: list[str] | None = None  # tty1's text after teardown, where getty runs


def tear_down(seat: SeatContext) -> TeardownReport:
    client, session = seat.client, seat.session
    stale: list[str] = []
    anonymous = anonymous_volumes(client, session)
    failed = remove_containers(client, session)
    if seat.tmp.made:  # the volume outlives its containers until the next step
        with contextlib.suppress(docker.errors.DockerException, OSError):
            stale = tmpdir.stale_entries(seat.tmp.path)
    failed += remove_session(client, session)
    restored: list[str] = []
    changed: list[str] = []
    after = None
    problems: list[str] = []
    before = seat.guard.console_before
    if before is not None:
        # What the seat itself left, before the harness puts anything back.
        changed = console.differences(before, console.snapshot(set(before.vts)))
        try:
            restored = console.restore(before)
        except (OSError, TimeoutError) as exc:
            problems.append(f"restore failed: {exc}")
        after = console.snapshot(set(before.vts))
        problems += console.differences(before, after)
        if not problems:
            console.forget(session)
    seat.guard.done()
    getty = console.getty_state()
    left = leftovers(client, session)
    for name, owner in anonymous.items():
        with contextlib.suppress(docker.errors.NotFound):
            client.volumes.get(name)
            left.append(f"volume {name} (anonymous, of container {owner})")
    return TeardownReport(
        failed=failed,
        leftovers=left,
        stale_tmp=stale,
        console_before=before,
        console_after=after,
        console_changed=changed,
        console_restored=restored,
        console_problems=problems,
        getty_before=seat.guard.getty_before,
        getty=getty,
        login_screen=_login_screen() if getty is not None else None,
    )


def _login_screen() -> list[str] | None:
    try:
        return console.screen_text(console.LOGIN_VT)
    except OSError:
        return None
