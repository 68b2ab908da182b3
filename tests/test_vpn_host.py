"""The VPN check that guards the host: a VPN that leaves a TUN device on the host fails it,
while the other VPN checks pass. Not among the parallel fault runs (tests/test_faults.py):
the host's TUN devices are shared by every seat on it, so this one runs alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import SuiteRun


def test_vpn_that_leaves_a_tun_device_on_the_host_fails_its_check(
    run_suite: Callable[..., SuiteRun],
) -> None:
    run = run_suite("-p", "seatcheck.faults.plugins.vpn_host_tun", "-k", "test_vpn_")
    assert run.leftovers == [], f"the run left {run.leftovers}"
    host = run.outcome("test_vpn_leaves_the_host_as_before")
    assert host["outcome"] == "failed", host
    assert "expected the host's routes and TUN devices as before chrome's VPN; found" in str(
        host["message"]
    ) and "['seatcheck-fault']" in str(host["message"]), host["message"]
    others = [
        r for r in run.results["results"]
        if "test_vpn_" in r["test"] and r["test"] != host["test"] and r["outcome"] != "passed"
    ]  # fmt: skip
    assert not others, others
    assert not Path("/sys/class/net/seatcheck-fault").exists(), "the fault's device remained"
