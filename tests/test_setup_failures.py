"""A seat that cannot stand up ends with one message naming the role and its log tail,
and leaves nothing running."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import SuiteRun

from seatcheck.images import ImageBuilder


def test_gnome_container_that_exits(
    base_image: str, build_image: Callable[[str, str], str], run_suite: Callable[..., SuiteRun]
) -> None:
    image = build_image(
        "seatcheck-test/gnome-exits:latest",
        f'FROM {base_image}\nCMD ["sh", "-c", "echo seatcheck-fault: no session here; exit 3"]\n',
    )
    run = run_suite(f"--seatcheck-image=gnome={image}")
    assert run.returncode != 0
    assert "set-up of role 'gnome' failed" in run.output
    assert "the gnome container exited (status 3)" in run.output
    assert "seatcheck-fault: no session here" in run.output  # the container's own log
    assert "Traceback" not in run.output
    # It stops at the first failed set-up instead of failing every test the same way.
    assert run.output.count("set-up of role 'gnome' failed") <= 2
    assert run.leftovers == []


def test_image_that_does_not_build(tmp_path: Path, run_suite: Callable[..., SuiteRun]) -> None:
    recipes = tmp_path / "dockerfiles"
    (recipes / "squid").mkdir(parents=True)
    (recipes / "squid" / "Dockerfile").write_text(
        "ARG BASE\nFROM ${BASE}\nRUN echo seatcheck-fault: broken recipe && exit 7\n"
    )
    run = run_suite(f"--seatcheck-dockerfiles={recipes}")
    assert run.returncode != 0
    assert "set-up of role 'squid' failed: image build failed" in run.output
    assert "seatcheck-fault: broken recipe" in run.output
    assert "returned a non-zero code: 7" in run.output
    assert run.leftovers == []


def test_gnome_whose_shell_cannot_start(
    builder: ImageBuilder, build_image: Callable[[str, str], str],
    run_suite: Callable[..., SuiteRun],
) -> None:  # fmt: skip
    """The session's unit fails (its gnome-shell exits at once): the wait for Shell ends
    within seconds, not at its deadline, and the journal is left in the report folder."""
    shipped = builder.role_image("gnome")
    image = build_image(
        "seatcheck-test/gnome-no-shell:latest",
        f"FROM {shipped}\nRUN printf '#!/bin/sh\\necho seatcheck-fault: no shell; exit 4\\n' "
        "> /usr/bin/gnome-shell\n",
    )
    run = run_suite(f"--seatcheck-image=gnome={image}", "-k", "test_x11_", timeout=300)
    assert run.returncode != 0
    assert (
        "set-up of role 'gnome' failed: gave up waiting for GNOME Shell to own the screen: "
        "seatcheck-session.service failed (exit-code): GNOME Shell will not run" in run.output
    )
    journal = (run.run_dir / "setup-gnome-journal.txt").read_text()
    assert "seatcheck-fault: no shell" in journal
    assert (run.run_dir / "setup-gnome-log.txt").exists()
    assert run.leftovers == []
