"""What seatcheck reads of an engine's answers: which engine it is, its OCI runtime, rootless
or not. The answers are recorded from Docker 20.10.24 and Podman 4.3.1's Docker API on a
Debian 12 host (tests/data/engines/, 2026-12-08)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seatcheck import engine, host

DATA = Path(__file__).parent / "data" / "engines"


class _Recorded:
    """A client that answers /version and /info as the recorded engine did."""

    def __init__(self, name: str) -> None:
        self.recorded = json.loads((DATA / f"{name}.json").read_text())

    def version(self) -> dict[str, Any]:
        return dict(self.recorded["version"])

    def info(self) -> dict[str, Any]:
        return dict(self.recorded["info"])


@pytest.mark.parametrize(
    ("recording", "name", "runtime"),
    [("docker-20.10.24", "docker", "runc 1.1.5+ds1"), ("podman-4.3.1", "podman", "crun 1.8.1")],
)
def test_engine_and_runtime_from_the_engines_own_answers(
    recording: str, name: str, runtime: str
) -> None:
    client = _Recorded(recording)
    assert engine.engine_name(client) == name  # type: ignore[arg-type]
    assert host.oci_runtime(client.info(), client.version()) == runtime


def test_unknown_engine_asked_for_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engine.ENGINE_ENV, "lxd")
    with pytest.raises(engine.EngineUnavailable, match="unknown engine 'lxd'"):
        engine.asked()
