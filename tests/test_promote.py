"""The pre-promotion gate: a healthy candidate is promoted by the digest that was tested, a
broken one (its seat user is not in the audio group) is refused and nothing is retagged, and
a rollback restores the previous image. The gate's runs are narrowed to the family the broken
candidate breaks (`gids`): what is tested here is the gate, not the suite, which bin/test runs
whole; a narrowed gate must say so in its verdict."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from conftest import ROOT
from docker import DockerClient

from seatcheck.images import ImageBuilder


@pytest.fixture
def prefix(client: DockerClient) -> Iterator[str]:
    """Promotion tags of the test's own (seatcheck-test/<hex>-gnome, ...-gnome-prev)."""
    value = f"seatcheck-test/p{secrets.token_hex(3)}-"
    yield value
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(value):
                client.images.remove(tag)


SELECTION = ("-k", "test_gids_")


def promote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seatcheck", "promote", *args,
         *(() if "--rollback" in args else ("--", *SELECTION))],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_promote_refuse_and_roll_back(
    client: DockerClient, builder: ImageBuilder, build_image: Callable[[str, str], str],
    prefix: str, tmp_path: object,
) -> None:  # fmt: skip
    shipped = builder.role_image("gnome")
    good = build_image(f"{prefix}gnomep-good", f"FROM {shipped}\nLABEL seatcheck.test=good\n")
    broken = build_image(f"{prefix}gnomep-broken", f"FROM {shipped}\nRUN gpasswd -d seat audio\n")
    good_id, broken_id = client.images.get(good).id, client.images.get(broken).id
    reports = f"--reports={tmp_path}"

    first = promote("gnome", "--candidate", good, "--prefix", prefix, reports)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    assert f"PROMOTED: gnome candidate {good} ({good_id})" in first.stdout
    assert "of those selected by '-k test_gids_'" in first.stdout
    assert "report.html" in first.stdout
    assert client.images.get(f"{prefix}gnome").id == good_id

    refused = promote("gnome", "--candidate", broken, "--prefix", prefix, reports)
    assert refused.returncode == 1
    assert f"REFUSED: gnome candidate {broken} ({broken_id}): required checks failed" in (
        refused.stdout
    )
    assert client.images.get(f"{prefix}gnome").id == good_id  # nothing retagged
    assert not client.images.list(name=f"{prefix}gnome-prev")

    shipped_id = client.images.get(shipped).id
    second = promote("gnome", "--candidate", shipped, "--prefix", prefix, reports)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    assert client.images.get(f"{prefix}gnome").id == shipped_id
    assert client.images.get(f"{prefix}gnome-prev").id == good_id

    back = promote("gnome", "--rollback", "--prefix", prefix)
    assert back.returncode == 0 and "ROLLED BACK" in back.stdout
    assert client.images.get(f"{prefix}gnome").id == good_id
