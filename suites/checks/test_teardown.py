"""Teardown: nothing of the run remains, common_tmp holds nothing of dead servers, and the
console is as it was before the run. These run last: they tear the seat down."""

from __future__ import annotations

import pytest

from seatcheck.parts.teardown import TeardownReport

from .common import Record

pytestmark = [pytest.mark.family("teardown"), pytest.mark.stage("teardown")]


def test_teardown_nothing_labelled_remains(
    torn_down: TeardownReport, record_property: Record
) -> None:
    """After teardown nothing labelled with the run's session remains: no container, network,
    image (but one kept on purpose) or volume (but the squid cache and one kept on purpose), and
    no anonymous volume of the seat's containers. Not looked at: what carries no label of the
    session: files on the host, the engine's firewall rules, and processes on the host."""
    record_property("teardown_failed", torn_down.failed)
    assert not torn_down.leftovers, (
        "expected nothing labelled with the run's session after teardown (the squid cache "
        f"excepted); found {'; '.join(torn_down.leftovers)}"
    )


def test_teardown_common_tmp_has_no_stale_servers(
    torn_down: TeardownReport, record_property: Record
) -> None:
    """Once the seat's containers are removed, common_tmp holds no X lock, no X socket and no
    pulse runtime (its native socket or pid) of a server no longer running. Not looked at: the
    other files there (ICE and D-Bus sockets, chromium's singleton files), and the host's own
    /tmp."""
    record_property("stale_tmp", torn_down.stale_tmp)
    assert not torn_down.stale_tmp, (
        "expected the stopped seat to leave no X lock, X socket or pulse runtime of a dead "
        f"server in common_tmp; found {'; '.join(torn_down.stale_tmp)}"
    )


def test_teardown_console_as_before(torn_down: TeardownReport, record_property: Record) -> None:
    """Compared with the snapshot taken before the seat started (every allocated VT), as the
    stopped seat left it: a console the harness had to restore is a fault of the seat. Not
    looked at: what the screens show (the login prompt check reads tty1's), the keymap, the
    console font and the framebuffer's resolution."""
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
    """`systemctl is-active getty@tty1` after teardown reads as it did before the seat started.
    Not looked at: the gettys of the other VTs, and a getty that died and was started again in
    between (it reads the same)."""
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
    `seatcheck vm` also reads the VM's display after the run. Not looked at: whether a login
    there works (nobody types a name), and the other VTs' screens."""
    if torn_down.getty is None:
        pytest.skip("the host does not run systemd (no /run/systemd/system): no getty on tty1")
    if torn_down.login_screen is None:
        pytest.skip("tty1's screen cannot be read here (no /dev/vcs1)")
    record_property("tty1_text", torn_down.login_screen[-5:])
    assert any("login:" in line for line in torn_down.login_screen), (
        "expected getty's login: prompt on tty1 after teardown; found "
        + (" | ".join(torn_down.login_screen[-3:]) or "an empty screen")
    )
