"""A snapshot of the running gnome container brings up a seat that passes the suite: the
healthy run keeps its gnome snapshot, and a second run stands the seat up on that image
(``--seatcheck-image gnome=<snapshot>``) and passes every check but the snapshot family."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import docker.errors
from conftest import SuiteRun
from docker import DockerClient


def test_gnome_snapshot_brings_up_a_passing_seat(
    client: DockerClient, run_suite: Callable[..., SuiteRun]
) -> None:
    first = run_suite("-k", "test_snapshot_gnome", "--seatcheck-keep-snapshots")
    made = first.outcome("test_snapshot_gnome_holds_no_live_session")
    assert made["outcome"] == "passed", made["message"]
    image = made["evidence"]["gnome_snapshot"]["image"]
    try:
        second = run_suite(f"--seatcheck-image=gnome={image}", "-k", "not test_snapshot_")
        failed = [
            f"{r['test']}: {r['message'][:200]}" for r in second.results["results"]
            if r["outcome"] in ("failed", "error")
        ]  # fmt: skip
        assert not failed, "the seat on the gnome snapshot failed: " + "; ".join(failed)
        assert second.returncode == 0, second.output[-2000:]
        images = second.facts.get("images") or {}
        assert image in str(images), f"expected the run on {image}; its images were {images}"
    finally:
        with contextlib.suppress(docker.errors.DockerException):
            client.images.remove(image, force=True)
