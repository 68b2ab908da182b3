"""Teardown: nothing of the run remains, common_tmp holds nothing of dead servers, and the
console is as it was before the run. These run last: they tear the seat down."""

from __future__ import annotations

import pytest

from seatcheck.topology import TeardownReport

from .common import Record


def test_teardown_nothing_labelled_remains(
    torn_down: TeardownReport, record_property: Record
) -> None:
    record_property("teardown_failed", torn_down.failed)
    assert not torn_down.leftovers, (
        "expected nothing labelled with the run's session after teardown (the squid cache "
        f"excepted); found {'; '.join(torn_down.leftovers)}"
    )


def test_teardown_common_tmp_has_no_stale_servers(
    torn_down: TeardownReport, record_property: Record
) -> None:
    record_property("stale_tmp", torn_down.stale_tmp)
    assert not torn_down.stale_tmp, (
        "expected the stopped seat to leave no X lock, X socket or pulse runtime of a dead "
        f"server in common_tmp; found {'; '.join(torn_down.stale_tmp)}"
    )


def test_teardown_console_as_before(torn_down: TeardownReport, record_property: Record) -> None:
    """Compared with the snapshot taken before the seat started (every allocated VT), as the
    stopped seat left it: a console the harness had to restore is a fault of the seat."""
    before, after = torn_down.console_before, torn_down.console_after
    if before is None or not before.active:
        pytest.skip("this machine has no VTs (/sys/class/tty/tty0/active): no console to check")
    record_property(
        "console",
        {
            "before": [v.describe() for v in before.vts.values()],
            "left_by_the_seat": torn_down.console_changed,
            "restored": torn_down.console_restored,
            "after": [v.describe() for v in after.vts.values()] if after else [],
        },
    )
    assert not torn_down.console_changed and not torn_down.console_problems, (
        f"expected the stopped seat to leave the console as before the run (tty{before.active} "
        f"active, {len(before.vts)} VT(s) in their old modes); found "
        f"{'; '.join(torn_down.console_changed + torn_down.console_problems)}"
        + (
            f" (the harness restored: {'; '.join(torn_down.console_restored)})"
            if torn_down.console_restored
            else ""
        )
    )


def test_teardown_login_getty_as_before(torn_down: TeardownReport, record_property: Record) -> None:
    if torn_down.getty is None or torn_down.getty_before is None:
        pytest.skip("the host does not run systemd (no /run/systemd/system): no getty to check")
    record_property("getty_tty1", {"before": torn_down.getty_before, "after": torn_down.getty})
    assert torn_down.getty == torn_down.getty_before, (
        f"expected getty@tty1 {torn_down.getty_before} after teardown, as before the run; "
        f"found {torn_down.getty!r}"
    )


def test_teardown_login_prompt_on_tty1(torn_down: TeardownReport, record_property: Record) -> None:
    """The login console as a person would find it: getty's prompt is on tty1's screen (the
    kernel's copy of it, /dev/vcs1). Only the display itself tells a black screen apart:
    `seatcheck vm` also reads the VM's display after the run."""
    if torn_down.getty is None:
        pytest.skip("the host does not run systemd (no /run/systemd/system): no getty on tty1")
    if torn_down.login_screen is None:
        pytest.skip("tty1's screen cannot be read here (no /dev/vcs1)")
    record_property("tty1_text", torn_down.login_screen[-5:])
    assert any("login:" in line for line in torn_down.login_screen), (
        "expected getty's login: prompt on tty1 after teardown; found "
        + (" | ".join(torn_down.login_screen[-3:]) or "an empty screen")
    )
