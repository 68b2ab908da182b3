"""``--seatcheck-image ROLE=IMAGE`` runs the unchanged suite against another image."""

from __future__ import annotations

from collections.abc import Callable

from conftest import SuiteRun
from docker import DockerClient

from seatcheck.images import ImageBuilder


def test_chrome_override_is_the_image_that_ran(
    client: DockerClient,
    builder: ImageBuilder,
    build_image: Callable[[str, str], str],
    run_suite: Callable[..., SuiteRun],
) -> None:
    shipped = builder.role_image("chrome")
    alt = build_image(
        "seatcheck-test/chrome-alt:latest",
        f"FROM {shipped}\nLABEL seatcheck.test=chrome-alt\n",
    )
    run = run_suite(f"--seatcheck-image=chrome={alt}", "-k", "chrome")
    assert run.returncode == 0, run.output[-3000:]
    chrome = run.facts["images"]["chrome"]
    assert chrome["ref"] == alt
    assert chrome["id"] == client.images.get(alt).id != client.images.get(shipped).id
    assert run.outcome("app_window_in_window_tree[chrome]")["outcome"] == "passed"
    assert run.leftovers == []
