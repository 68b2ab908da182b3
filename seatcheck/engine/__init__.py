"""The container engine: make sure one answers, and talk to it through the Docker SDK.

On a fresh machine no engine runs. When running as root on Debian, seatcheck installs
Debian's docker.io and starts dockerd itself; otherwise it says in one line what is missing.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import docker
import docker.errors
from docker import DockerClient

from ..errors import EngineUnavailable
from ..waits import retry

# Above the longest single engine call we make (exec deadlines are enforced separately).
API_TIMEOUT = 300
# What the host itself needs, by command or library file, and the Debian package that has it.
HOST_PACKAGES = {
    "dockerd": "docker.io",
    "debootstrap": "debootstrap",
    "libpulse.so.0": "libpulse0",  # pulsectl loads it to reach the seat's pulse server
    "umockdev-record": "umockdev",  # each run records the machine it ran on (record-machine)
}
# What the project's own tests need besides: a browser to look at the reports as a person would.
TEST_PACKAGES = {"chromium": "chromium"}
DOCKERD_LOG = Path("/var/log/seatcheck-dockerd.log")


def connect(timeout: int = API_TIMEOUT) -> DockerClient:
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise EngineUnavailable(f"no container engine answers at {where}: {exc}") from None
    return client


def _say(msg: str) -> None:
    print(f"seatcheck: {msg}", file=sys.stderr, flush=True)


def apt_install(packages: list[str]) -> None:
    """Install Debian packages (root only), updating the lists once if needed."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=900)


def ensure_host_packages(commands: dict[str, str]) -> None:
    """Make sure each command (mapped to the Debian package that has it) is present."""
    missing = [pkg for cmd, pkg in commands.items() if not _have(cmd)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise EngineUnavailable(
            f"missing host package(s) {', '.join(missing)}: install them, or run as root "
            "on Debian to let seatcheck install them"
        )
    _say(f"installing {', '.join(missing)} from Debian's packages")
    apt_install(missing)


def _have(cmd: str) -> bool:
    if cmd.startswith("/"):
        return Path(cmd).exists()
    if ".so" in cmd:
        return ctypes.util.find_library(cmd.split(".so")[0].removeprefix("lib")) is not None
    return shutil.which(cmd) is not None or Path("/usr/sbin", cmd).exists()


def ensure_engine(start_timeout: float = 60.0) -> DockerClient:
    """Connect to the engine, installing and starting dockerd first where we may."""
    try:
        return connect()
    except EngineUnavailable as first:
        if "DOCKER_HOST" in os.environ or os.geteuid() != 0 or not shutil.which("apt-get"):
            raise EngineUnavailable(
                f"{first}; start a Docker engine, or run as root on Debian to let "
                "seatcheck install and start docker.io"
            ) from None
    ensure_host_packages({"dockerd": "docker.io"})
    _say(f"no engine answers: starting dockerd (log: {DOCKERD_LOG})")
    with DOCKERD_LOG.open("ab") as log:
        # A new session so that the engine outlives this command, like a service would.
        subprocess.Popen(
            [shutil.which("dockerd") or "/usr/sbin/dockerd"],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        return retry(connect, (EngineUnavailable,), start_timeout, "dockerd", scaled=False)
    except EngineUnavailable:
        tail = DOCKERD_LOG.read_text(errors="replace").splitlines()[-5:]
        raise EngineUnavailable(
            f"dockerd did not answer within {start_timeout:.0f}s: " + " | ".join(tail)
        ) from None
