"""Capability detection and the privileged-mode plan, from recorded /proc status files."""

from __future__ import annotations

from pathlib import Path

from seatcheck import capabilities, machine

DATA = Path(__file__).parent / "data"


def test_bounding_set_without_sys_resource_downgrades() -> None:
    mask = capabilities.bounding_set((DATA / "proc-status-no-sys-resource.txt").read_text())
    plan = capabilities.plan(mask, last_cap=40)
    assert not plan.privileged
    assert plan.missing == ("SYS_RESOURCE",)
    assert "SYS_ADMIN" in plan.cap_add and "SYS_RESOURCE" not in plan.cap_add
    assert len(plan.cap_add) == 40
    assert "seccomp=unconfined" in plan.security_opt
    assert plan.device_cgroup_rules == ("c *:* rmw", "b *:* rmw")
    assert "cannot grant CAP_SYS_RESOURCE" in plan.describe()


def test_full_bounding_set_is_really_privileged() -> None:
    mask = capabilities.bounding_set((DATA / "proc-status-full.txt").read_text())
    plan = capabilities.plan(mask, last_cap=40)
    assert plan.privileged and plan.cap_add == () and plan.describe() == "privileged"


def test_older_kernel_knows_fewer_capabilities() -> None:
    # A 5.4 kernel stops at AUDIT_READ (37): the newer bits are not "missing" there.
    plan = capabilities.plan((1 << 38) - 1, last_cap=37)
    assert plan.privileged


def test_this_host_plan_follows_the_engines_bounding_set() -> None:
    pid = capabilities.daemon_pid()
    status = Path(f"/proc/{pid}/status" if pid else "/proc/self/status").read_text()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    granted = set(capabilities.names(capabilities.bounding_set(status), last))
    plan = capabilities.host_plan()
    assert set(plan.missing) == set(capabilities.CAP_NAMES[: last + 1]) - granted
    assert plan.privileged == (not plan.missing)


def test_sound_cards_parse() -> None:
    recorded = DATA / "hw/nvidia-quadro-k2200-desktop/asound-cards.txt"
    assert machine.parse_asound_cards(recorded.read_text()) == [
        machine.SoundCard(0, "PCH", "HDA-Intel - HDA Intel PCH"),
        machine.SoundCard(1, "Device", "USB-Audio - USB Audio Device"),
        machine.SoundCard(2, "NVidia", "HDA-Intel - HDA NVidia"),
    ]
    assert machine.parse_asound_cards("--- no soundcards ---") == []
