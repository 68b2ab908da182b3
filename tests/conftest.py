"""Helpers for the harness's own tests: the engine, test images, nested suite runs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from docker import DockerClient

from seatcheck import engine, profile
from seatcheck.config import SeatConfig
from seatcheck.engine import labels
from seatcheck.engine.labels import new_run_id
from seatcheck.images import ImageBuilder

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fault-family", default="", metavar="NAME",
        help="run only the fault seats with a fault that makes a check of requirement family "
        "NAME fail (test_NAME_...)",
    )  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    family = config.getoption("fault_family")
    if not family:
        return
    keep, drop = [], []
    for item in items:
        group = getattr(item, "callspec", None) and item.callspec.params.get("group") or []
        failing = [t for fault in group for t in getattr(fault, "failing", ())]
        (keep if any(f"test_{family}_" in t for t in failing) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def client() -> DockerClient:
    return engine.ensure_engine()


@pytest.fixture(scope="session")
def builder(client: DockerClient) -> ImageBuilder:
    config = SeatConfig(profile=profile.find("virtual"))
    return ImageBuilder(client, config, progress=lambda line: print(line, file=sys.stderr))


@pytest.fixture(scope="session")
def base_image(builder: ImageBuilder) -> str:
    return builder.base_image()


@pytest.fixture(scope="session")
def build_image(client: DockerClient) -> Callable[[str, str], str]:
    """Build a small test image from Dockerfile text; returns its tag."""

    def build(tag: str, dockerfile: str) -> str:
        client.images.build(
            fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, forcerm=True, pull=False
        )
        return tag

    return build


@dataclass
class SuiteRun:
    run_id: str
    returncode: int
    output: str
    run_dir: Path
    leftovers: list[str]

    @property
    def results(self) -> dict[str, Any]:
        record = self.run_dir / "results.json"
        # A run that wrote no record: what it printed is the only clue (CI keeps no folder).
        assert record.exists(), (
            f"the run wrote no {record.name} (exit status {self.returncode}); its output "
            f"ends:\n{self.output[-3000:]}"
        )
        return json.loads(record.read_text())  # type: ignore[no-any-return]

    @property
    def facts(self) -> dict[str, Any]:
        return json.loads((self.run_dir / "facts.json").read_text())  # type: ignore[no-any-return]

    def outcome(self, test_substring: str) -> dict[str, Any]:
        matches = [r for r in self.results["results"] if test_substring in r["test"]]
        assert matches, f"no result for {test_substring!r} in {self.results['results']}"
        return matches[-1]


def squid_volume() -> list[str]:
    """Under pytest-xdist each worker's seats get a squid cache of their own (two squids must
    never share one); it lasts as long as the worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return [f"--seatcheck-squid-volume=seatcheck-squid-cache-{worker}"] if worker else []


@pytest.fixture(scope="session", autouse=True)
def worker_squid_cache_removed(client: DockerClient) -> Iterator[None]:
    """A worker's own squid cache is the tests' making: it goes when the worker ends."""
    yield
    for arg in squid_volume():
        name = arg.split("=", 1)[1]
        with contextlib.suppress(docker.errors.DockerException):
            client.volumes.get(name).remove(force=True)


def suite_runner(client: DockerClient, reports: Path) -> Callable[..., SuiteRun]:
    """Run ``pytest suites/<profile>`` in a child process, as a user would, and read its
    report (under ``reports``); ``env`` is added to the child's environment."""

    def run(
        *args: str,
        profile_name: str = "virtual",
        timeout: float = 900,
        env: dict[str, str] | None = None,
    ) -> SuiteRun:
        run_id = new_run_id()
        cmd = [
            sys.executable, "-m", "pytest", str(ROOT / "suites" / profile_name),
            "-p", "no:cacheprovider", f"--seatcheck-run-id={run_id}",
            f"--seatcheck-reports={reports}", *squid_volume(), *args,
        ]  # fmt: skip
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
        )  # fmt: skip
        output = proc.stdout + proc.stderr
        return SuiteRun(
            run_id=run_id,
            returncode=proc.returncode,
            output=output,
            run_dir=reports / run_id,
            leftovers=labels.leftovers(client, run_id),
        )

    return run


@pytest.fixture
def run_suite(client: DockerClient, tmp_path: Path) -> Callable[..., SuiteRun]:
    """Run ``pytest suites/<profile>`` in a child process, as a user would, and read its report."""
    return suite_runner(client, tmp_path / "reports")
