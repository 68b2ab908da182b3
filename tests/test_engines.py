"""What seatcheck reads of an engine's answers: which engine it is, its OCI runtime, rootless
or not. The answers are recorded from Docker 20.10.24 and Podman 4.3.1's Docker API on a
Debian 12 host (tests/data/engines/, 2026-12-08)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seatcheck import engine, host
from seatcheck.engine import containers

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


def test_podman_containers_get_the_services_limits(tmp_path: Path) -> None:
    """The podman service's own limits (``/proc/<pid>/limits`` of ``podman system service``,
    copied on a Debian 12 host without CAP_SYS_RESOURCE, 2026-12-08) become its containers'
    ulimits."""
    service = tmp_path / "4242"
    service.mkdir()
    (service / "cmdline").write_bytes(b"/usr/bin/podman\0--runtime\0runc\0system\0service\0")
    (service / "limits").write_text((DATA / "podman-service-limits.txt").read_text())
    limits = {u["Name"]: (u["Soft"], u["Hard"]) for u in containers.inherited_limits(tmp_path)}
    assert limits == {"nofile": (20000, 20000), "nproc": (32768, 32768)}
