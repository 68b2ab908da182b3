"""The command line: bad input gets one clear line and a non-zero exit, nothing is started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docker import DockerClient

from seatcheck.engine.labels import SESSION

ROOT = Path(__file__).resolve().parent.parent


def seatcheck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seatcheck", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, **(env or {})),
    )  # fmt: skip


def labelled(client: DockerClient) -> list[str]:
    return [c.name for c in client.containers.list(all=True, filters={"label": SESSION})]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["run", "nosuch"], 2, "unknown profile 'nosuch'"),
        # this machine has no GPU: a vendor profile stops before the engine is even asked
        (
            ["run", "intel"],
            2,
            "profile intel needs an Intel GPU on i915 or xe with a DRM card "
            "node; found no GPU (no DRM device in sysfs)",
        ),
        (
            ["run", "nvidia", "--gpu", "0000:01:00.0"],
            2,
            "needs an NVIDIA GPU on nvidia at 0000:01:00.0",
        ),
        (["run", "virtual", "--image", "firefox=x"], 2, "unknown role 'firefox'"),
        (["run", "virtual", "--image", "gnome"], 2, "is not ROLE=IMAGE"),
        (
            ["run", "virtual", "--image", "gnome=seatcheck-test/no-such-image:1"],
            2,
            "image 'seatcheck-test/no-such-image:1' for role gnome is not present",
        ),
    ],
)
def test_bad_input_one_line_nothing_started(
    client: DockerClient, args: list[str], code: int, message: str
) -> None:
    before = labelled(client)
    proc = seatcheck(*args)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert labelled(client) == before


def test_malformed_profile_file(tmp_path: Path, client: DockerClient) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "profile.toml").write_text("[seat\n")
    proc = seatcheck("run", "broken", "--suites", str(tmp_path))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not valid TOML" in lines[0], proc.stderr


def test_no_engine_is_one_line() -> None:
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    for args in (["run", "virtual"], ["doctor"]):
        proc = seatcheck(*args, env=env)
        assert proc.returncode == 3, proc.stderr
        assert "no container engine answers at unix:///nonexistent/docker.sock" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_doctor_reports_the_host(client: DockerClient) -> None:
    proc = seatcheck("doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["engine"] == client.version()["Version"]
    assert facts["default_ipc_mode"] in ("private", "shareable")
    assert facts["vts"] == len(list(Path("/dev").glob("tty[0-9]*")))
    assert facts["profile_fits"] in facts["profiles_shipped"] or facts["gpus"]
    assert "SYS_ADMIN" in facts["grantable_capabilities"]


def test_doctor_says_which_profile_fits_and_why() -> None:
    proc = seatcheck("doctor", "--json")
    facts = json.loads(proc.stdout)
    assert facts["profile_fits"] == "virtual"  # no GPU here
    assert facts["profile_fits_because"][0].startswith("no GPU with its vendor's driver")
    assert facts["free_vt"].startswith("tty") and facts["free_vt"] != "tty1"


def test_plain_pytest_without_engine_stops_with_one_line() -> None:
    """Under plain pytest, a run with no engine ends before anything starts: one line and
    exit status 3, as `seatcheck run` gives it, not one error per check."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(ROOT / "suites/virtual")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock"),
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout[-1500:]
    lines = [line for line in proc.stdout.splitlines() if "seatcheck:" in line]
    assert len(lines) == 1 and "no container engine answers" in lines[0], proc.stdout[-1500:]
    assert " error" not in proc.stdout.splitlines()[-1]
