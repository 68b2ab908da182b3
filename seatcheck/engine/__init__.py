"""The container engine: make sure one answers, and talk to it through the Docker SDK.

Two engines: Docker, and Podman through its Docker-compatible API (``podman system
service``). The run's engine is the one asked for (``SEATCHECK_ENGINE``, set by
``--seatcheck-engine`` and ``seatcheck run --engine``), else the one ``DOCKER_HOST`` or
``CONTAINER_HOST`` names, else the first socket that answers (Docker's, then Podman's). On a
fresh machine no engine runs. When running as root on Debian, seatcheck installs Debian's
docker.io (or podman) and starts it itself; otherwise it says in one line what is missing.
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
PODMAN_LOG = Path("/var/log/seatcheck-podman.log")
ENGINES = ("docker", "podman")
ENGINE_ENV = "SEATCHECK_ENGINE"  # the engine a run asked for; "" where it is found
DOCKER_SOCKET = "unix:///var/run/docker.sock"
PODMAN_SOCKET = "unix:///run/podman/podman.sock"  # rootful podman's service


def asked() -> str:
    """The engine the run asked for ("" where none was named)."""
    kind = os.environ.get(ENGINE_ENV, "").strip()
    if kind and kind not in ENGINES:
        raise EngineUnavailable(f"unknown engine {kind!r} (engines: {', '.join(ENGINES)})")
    return kind


def _url(kind: str) -> str:
    if kind == "podman":
        return os.environ.get("CONTAINER_HOST") or PODMAN_SOCKET
    return os.environ.get("DOCKER_HOST") or DOCKER_SOCKET


def engine_name(client: DockerClient) -> str:
    """Which engine answers, from what it says of its own components (``podman`` or
    ``docker``): both serve the same API."""
    components = client.version().get("Components") or []
    names = " ".join(str(c.get("Name", "")) for c in components)
    return "podman" if "podman" in names.lower() else "docker"


def _connect_to(url: str, timeout: int) -> DockerClient:
    try:
        client = DockerClient(base_url=url, version="auto", timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineUnavailable(f"no container engine answers at {url}: {exc}") from None
    return client


def connect(timeout: int = API_TIMEOUT) -> DockerClient:
    """The run's engine (see the module's docstring for how it is chosen)."""
    kind = asked()
    if kind:
        client = _connect_to(_url(kind), timeout)
        found = engine_name(client)
        if found != kind:
            raise EngineUnavailable(f"{kind} was asked for; {_url(kind)} is {found}'s")
        return client
    if "DOCKER_HOST" in os.environ or "CONTAINER_HOST" not in os.environ:
        try:
            return _connect_to(_url("docker"), timeout)
        except EngineUnavailable:
            if "DOCKER_HOST" in os.environ:
                raise
    try:
        return _connect_to(_url("podman"), timeout)
    except EngineUnavailable:
        if "CONTAINER_HOST" in os.environ:
            raise
    raise EngineUnavailable(
        f"no container engine answers at {DOCKER_SOCKET} (docker) or {PODMAN_SOCKET} (podman)"
    )


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


def podman_runtime(cgroups: Path = Path("/sys/fs/cgroup")) -> list[str]:
    """Podman's runtime option for this host: crun 1.8 refuses a host whose cgroups are in
    hybrid mode (v1 controllers with a v2 hierarchy at ``unified``: "cgroups in hybrid mode
    not supported", measured on Debian 12's crun 1.8.1), where runc runs."""
    return ["--runtime", "runc"] if (cgroups / "unified").is_dir() else []


def ensure_engine(start_timeout: float = 60.0) -> DockerClient:
    """Connect to the engine, installing and starting dockerd (or podman's service, where
    podman was asked for) first where we may."""
    try:
        return connect()
    except EngineUnavailable as first:
        kind = asked() or "docker"
        named = "DOCKER_HOST" if kind == "docker" else "CONTAINER_HOST"
        if named in os.environ or os.geteuid() != 0 or not shutil.which("apt-get"):
            raise EngineUnavailable(
                f"{first}; start a {kind} engine, or run as root on Debian to let "
                f"seatcheck install and start {'docker.io' if kind == 'docker' else 'podman'}"
            ) from None
        if "asked for" in str(first):  # another engine answers at its socket
            raise
    if kind == "podman":
        # catatonit: podman's init for containers that ask for one; dnsname: names on
        # networks of the CNI backend (podman 4.3 resolves network aliases only with it)
        ensure_host_packages({
            "podman": "podman", "crun": "crun", "catatonit": "catatonit",
            "/usr/lib/cni/dnsname": "golang-github-containernetworking-plugin-dnsname",
        })  # fmt: skip
        command = [shutil.which("podman") or "/usr/bin/podman", *podman_runtime(), "system",
                   "service", "--time=0", PODMAN_SOCKET]  # fmt: skip
        Path(PODMAN_SOCKET.removeprefix("unix://")).parent.mkdir(parents=True, exist_ok=True)
        log_path = PODMAN_LOG
    else:
        ensure_host_packages({"dockerd": "docker.io"})
        command = [shutil.which("dockerd") or "/usr/sbin/dockerd"]
        log_path = DOCKERD_LOG
    _say(f"no engine answers: starting {kind} (log: {log_path})")
    with log_path.open("ab") as log:
        # A new session so that the engine outlives this command, like a service would.
        subprocess.Popen(
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    try:
        return retry(connect, (EngineUnavailable,), start_timeout, kind, scaled=False)
    except EngineUnavailable:
        tail = log_path.read_text(errors="replace").splitlines()[-5:]
        raise EngineUnavailable(
            f"{kind} did not answer within {start_timeout:.0f}s: " + " | ".join(tail)
        ) from None
