"""The fault catalogue's judgement (``seatcheck.faults``) over a run's results, as the host's
fault seats and ``seatcheck vm`` both read them: the record's shape is results.json's."""

from __future__ import annotations

from typing import Any

from seatcheck.faults import Fault, compatible, families, judge, judge_seat
from seatcheck.faults.catalogue import FAULTS, VM_FAULTS

FAULT = Fault(
    "x11-dir-mode",
    failing=("test_x11_socket_dir_mode",),
    message=r"expected /tmp/.X11-unix to be mode 1777; found 0755",
    tolerate=("test_snapshot_",),
)


def result(test: str, outcome: str = "passed", message: str = "") -> dict[str, Any]:
    return {"test": f"suites/checks/test_x.py::{test}", "outcome": outcome, "message": message}


FAILED_AS_IT_MUST = result(
    "test_x11_socket_dir_mode", "failed", "expected /tmp/.X11-unix to be mode 1777; found 0755"
)


def test_a_fault_that_failed_its_check_with_its_message_passes() -> None:
    results = [FAILED_AS_IT_MUST, result("test_glx_ok"), result("test_snapshot_x", "failed")]
    assert judge(FAULT, results) == []


def test_a_check_that_passed_under_its_fault_is_named() -> None:
    problems = judge(FAULT, [result("test_x11_socket_dir_mode"), result("test_glx_ok")])
    assert problems == [
        "x11-dir-mode: expected test_x11_socket_dir_mode to fail; found it passed",
        "x11-dir-mode: expected test_x11_socket_dir_mode's message to match "
        "'expected /tmp/.X11-unix to be mode 1777; found 0755' (\"expected ...; found ...\"); "
        "found ''",
    ]


def test_a_check_not_run_and_an_empty_run_are_problems() -> None:
    assert judge(FAULT, [result("test_glx_ok")]) == [
        "x11-dir-mode: expected test_x11_socket_dir_mode to fail; found it not run"
    ]
    assert judge(FAULT, []) == ["x11-dir-mode: the run recorded no results"]


def test_another_family_failing_beside_the_fault_is_a_problem() -> None:
    results = [FAILED_AS_IT_MUST, result("test_pulse_audible", "error", "boom")]
    assert judge(FAULT, results) == [
        "x11-dir-mode: expected suites/checks/test_x.py::test_pulse_audible to pass beside "
        "the fault; found 'boom'"
    ]
    assert judge(FAULT, results, excused=("test_pulse_",)) == []


def test_a_seat_judges_each_fault_and_its_sentinels() -> None:
    other = Fault("pulse-x", failing=("test_pulse_audible",), message="expected .*; found")
    results = [FAILED_AS_IT_MUST, result("test_pulse_audible", "failed", "expected a; found b")]
    assert judge_seat([FAULT, other], results) == []
    problems = judge_seat([FAULT, other], results, sentinels=("glx",))
    assert problems == [
        "expected the sentinel families ['glx'] to pass; found set()",
    ]


def test_every_fault_in_the_catalogue_names_checks_of_a_family() -> None:
    for fault in (*FAULTS, *VM_FAULTS):
        assert families(fault), f"{fault.name} names no check of a family"
        assert fault.selection(), fault.name


def test_one_family_shares_a_seat_only_through_other_roles_checks() -> None:
    def glx(name: str, *checks: str) -> Fault:
        return Fault(name, failing=checks, message="expected .*; found")

    vlc = glx("vlc-soft", "test_glx_renderer[vlc]")
    shell = glx("shell-node", "test_glx_nodes[shell]", "test_gids_nodes[shell]")
    every_role = glx("glamor-off", "test_glx_renderer")
    assert compatible(vlc, shell)
    assert not compatible(vlc, glx("vlc-node", "test_glx_nodes[vlc]"))
    assert not compatible(vlc, every_role) and not compatible(shell, every_role)
