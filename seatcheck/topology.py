"""The seat: squid, the shared /tmp volume, the gnome container and the app containers.

Everything is created with the labels ``seatcheck.session`` and ``seatcheck.role`` and torn
down by label, so a set-up that fails half way is cleaned up just as well as a finished one.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import secrets
import socket
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient
from docker.models.containers import Container
from docker.models.networks import Network
from docker.models.volumes import Volume

from . import cache, capabilities, console, execs, reaper, roles
from .capabilities import PrivilegePlan
from .config import SeatConfig
from .drivers import cleanup
from .errors import SetupError
from .images import ImageBuilder, Progress
from .labels import KEEP, ROLE, SESSION, SQUID_CACHE_VOLUME, labels, session_filter
from .probes import selinux, tmpdir, x11
from .timeline import Timeline
from .waits import WaitTimeout, wait_for

SQUID_PORT = 3128
DISPLAY = ":0"
LOG_TAIL = 20
GNOME_READY_TIMEOUT = 180.0
_UNKNOWN_CAP = re.compile(r'unknown capability: "?(?:CAP_)?([A-Z_]+)"?')


@dataclass(frozen=True)
class PulseRuntime:
    machine_id: str
    runtime_dir: str  # inside the containers, e.g. /tmp/pulse-AbC123

    @property
    def socket(self) -> str:
        return f"{self.runtime_dir}/native"


@dataclass
class TeardownReport:
    """What teardown found and did: the evidence the test_teardown_ checks read."""

    failed: list[str]  # what could not be removed
    leftovers: list[str]  # what is still labelled with the session afterwards
    stale_tmp: list[str]  # leftovers of dead servers in common_tmp once the seat stopped
    console_before: console.ConsoleSnapshot | None
    console_after: console.ConsoleSnapshot | None
    console_changed: list[str]  # what the stopped seat left different from before it started
    console_restored: list[str]  # what the harness had to put back (evidence of a fault)
    console_problems: list[str]  # what still differs from the snapshot after the restore
    getty_before: str | None  # `systemctl is-active getty@tty1` before the seat started
    getty: str | None  # the same after teardown; None where the host runs no systemd


def container_log_tail(container: Container, lines: int = LOG_TAIL) -> str:
    try:
        container.reload()
        raw = container.logs(tail=lines)
    except docker.errors.DockerException as exc:
        return f"(no log: {exc})"
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    # systemd colours its status lines; the tail is for people and files.
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r", "")


class SeatHooks:
    """Extension points around each container; the pytest plugin routes them to its hooks."""

    def container_config(self, seat: Seat, role: str, kwargs: dict[str, Any]) -> None:
        """Adjust create() arguments before ``role``'s container is created."""

    def container_started(self, seat: Seat, role: str, container: Container) -> None:
        """``role``'s container is ready."""

    def build_config(self, seat: Seat, role: str, kwargs: dict[str, Any]) -> None:
        """Adjust build() arguments before ``role``'s image is built."""


class Seat:
    """One run's seat. Create it, ask for the parts you need, always call ``teardown``."""

    def __init__(
        self,
        client: DockerClient,
        config: SeatConfig,
        progress: Progress,
        privilege: PrivilegePlan | None = None,
        hooks: SeatHooks | None = None,
    ) -> None:
        self.client = client
        self.hooks = hooks or SeatHooks()
        self.config = config
        self.progress = progress
        self.session = config.run_id
        self.timeline = Timeline()
        self.images = ImageBuilder(client, config, progress, tag_prefix=config.tag_prefix)
        self.images.before_build = lambda role, kwargs: self.hooks.build_config(self, role, kwargs)
        self.privilege = privilege or capabilities.host_plan()
        self.facts: dict[str, Any] = {
            "run_id": self.session,
            "profile": config.profile.name,
            "privilege": self.privilege.describe(),
            "images": {},
        }
        self._network: Network | None = None
        self._tmp: Volume | None = None
        self._containers: dict[str, Container] = {}
        self._pulse: PulseRuntime | None = None
        self._caps_unknown_to_engine: list[str] = []
        self._failed: dict[str, SetupError] = {}
        self._watchdog: reaper.Watchdog | None = None
        self._console_lock = threading.Lock()
        self.console_before: console.ConsoleSnapshot | None = None
        self.getty_before: str | None = None
        self.teardown_report: TeardownReport | None = None
        # Labels of the host paths bound into the seat, read before any container uses them.
        self.host_labels_before: dict[str, str] = {}

    # -- naming ----------------------------------------------------------------------------
    def _name(self, role: str) -> str:
        return f"seatcheck-{self.session}-{role}"

    def _image(self, role: str) -> str:
        known = self.facts["images"].get(role)
        if known is not None:  # resolved once per run: the run tests one image per role
            return str(known["ref"])
        with self.timeline.phase(f"image {role} (resolve or build)", "image"):
            ref = self.images.role_image(role)
        self.facts["images"][role] = {"ref": ref, "id": self.images.digest(ref)}
        return ref

    # -- shared parts ----------------------------------------------------------------------
    def _guard(self) -> None:
        """Before the first resource: a watchdog that reaps the session if this run dies."""
        if self._watchdog is None:
            log = self.config.run_dir / "reaper.log"
            with self.timeline.phase("watchdog start", "harness"):
                self._watchdog = reaper.start_watchdog(self.session, log, self.config.profile.name)
            self.facts["watchdog_pid"] = self._watchdog.pid

    def network(self) -> Network:
        self._guard()
        if self._network is None:
            self._network = self.client.networks.create(
                self._name(roles.NETWORK), driver="bridge", labels=labels(self.session, "network")
            )
        return self._network

    def common_tmp(self) -> Volume:
        """The shared /tmp volume (the recipe's ``common_tmp``): new for the run, or the
        configured named one, cleared of what a dead seat left in it."""
        self._guard()
        if self._tmp is None:
            name = self.config.tmp_volume
            if not name:
                self._tmp = self.client.volumes.create(
                    name=self._name(roles.COMMON_TMP),
                    labels=labels(self.session, roles.COMMON_TMP),
                )
            else:
                self._tmp = self._reuse_tmp(name)
        return self._tmp

    def _reuse_tmp(self, name: str) -> Volume:
        try:
            volume = self.client.volumes.get(name)
        except docker.errors.NotFound:
            return self.client.volumes.create(
                name=name, labels=labels(self.session, roles.COMMON_TMP, keep=True)
            )
        self._refuse_volume_in_use(name, roles.COMMON_TMP, "stop them or name another volume")
        cleared = cleanup.clear_stale(Path(volume.attrs["Mountpoint"]))
        if cleared:
            self.progress(f"[common_tmp] cleared what a dead seat left: {'; '.join(cleared)}")
        self.facts["common_tmp_cleared"] = cleared
        return volume

    def _refuse_volume_in_use(self, name: str, role: str, advice: str) -> None:
        users = self.client.containers.list(filters={"volume": name})
        if users:
            names = ", ".join(str(c.name or c.id) for c in users)
            raise SetupError(
                role, f"volume {name} is in use by running container(s) {names}: {advice}"
            )

    @property
    def tmp_path(self) -> Path:
        """Where the shared /tmp lies on the host (the engine runs on this machine)."""
        return Path(self.common_tmp().attrs["Mountpoint"])

    @property
    def x_socket(self) -> Path:
        return self.tmp_path / ".X11-unix" / f"X{DISPLAY.lstrip(':')}"

    def _tmp_mount(self) -> dict[str, dict[str, str]]:
        # :z — the shared label, so that every container may use the volume.
        return {self.common_tmp().name: {"bind": "/tmp", "mode": "rw,z"}}

    # -- squid -----------------------------------------------------------------------------
    def _memo(self, role: str) -> Container | None:
        """The role's container if it was stood up; re-raise if standing it up failed."""
        if role in self._failed:
            raise self._failed[role]
        return self._containers.get(role)

    def squid(self) -> Container:
        return self._memo(roles.SQUID) or self._remember_failure(
            roles.SQUID, self._timed(roles.SQUID, self._start_squid)
        )

    def _timed(self, role: str, start: Any) -> Any:
        def run(*args: Any) -> Any:
            with self.timeline.phase(f"{role}: create to ready", "container"):
                return start(*args)

        return run

    def _remember_failure(self, role: str, start: Any, *args: Any) -> Container:
        try:
            return start(*args)  # type: ignore[no-any-return]
        except SetupError as exc:
            self._failed[role] = exc
            raise

    def _start_squid(self) -> Container:
        image = self._image(roles.SQUID)
        volume = self._cache_volume()
        net = self.network()
        container = self._run(
            roles.SQUID,
            image=image,
            volumes={volume.name: {"bind": "/var/spool/squid", "mode": "rw,z"}},
            network=net.name,
            # Only the seat network's clients may use the cache.
            environment={"SEATCHECK_CLIENTS": " ".join(self.network_subnets())},
            # The recipe links squid as rpmcache; a network alias is the modern equivalent.
            networking_config={
                net.name: self.client.api.create_endpoint_config(aliases=[cache.RPMCACHE])
            },
        )
        ip = self.address_of(container)
        self._wait(
            roles.SQUID,
            container,
            lambda: _port_open(ip, SQUID_PORT),
            60,
            "port 3128",
            interval=0.1,
        )
        self.facts["squid"] = {"address": f"{ip}:{SQUID_PORT}", "volume": volume.name}
        # From here on, every image build goes through the cache.
        self.images.cache = cache.SquidAccess(container, str(net.name), ip, self._seat_addresses)
        self.hooks.container_started(self, roles.SQUID, container)
        return container

    def network_subnets(self) -> list[str]:
        ipam = self.network().attrs.get("IPAM") or {}
        return [c["Subnet"] for c in ipam.get("Config") or [] if c.get("Subnet")]

    def _seat_addresses(self) -> set[str]:
        """The seat's own containers' addresses: their requests at the cache are not builds."""
        found = set()
        for role, container in self._containers.items():
            if role == roles.SQUID:
                continue
            with contextlib.suppress(docker.errors.DockerException, KeyError):
                found.add(self.address_of(container))
        return found

    def _cache_volume(self) -> Volume:
        name = self.config.squid_volume
        # Two squids on one cache directory corrupt it: another seat's squid has it now.
        self._refuse_volume_in_use(
            name, roles.SQUID,
            "a seat that runs beside another needs a cache of its own (--seatcheck-squid-volume)",
        )  # fmt: skip
        try:
            return self.client.volumes.get(name)
        except docker.errors.NotFound:
            return self.client.volumes.create(
                name=name, labels=labels(self.session, "squid-cache", keep=True)
            )

    @property
    def squid_address(self) -> str:
        """squid's address on the seat network."""
        return self.address_of(self.squid())

    def cache_facts(self) -> dict[str, Any]:
        """The report's package-cache section: the squid, this run's builds, the last build."""
        last = cache.last_build()
        return {
            **self.facts.get("squid", {}),
            "clients": self.network_subnets() if self._network is not None else [],
            "builds": [r.as_dict() for r in self.images.records],
            "last_build": last.as_dict() if last else None,
        }

    def address_of(self, container: Container) -> str:
        """The container's address on the seat network: a container that joined another's
        network namespace (``container:<id>``) speaks with that one's address."""
        container.reload()
        mode = str(container.attrs["HostConfig"].get("NetworkMode") or "")
        if mode.startswith("container:"):
            return self.address_of(self.client.containers.get(mode.split(":", 1)[1]))
        nets = container.attrs["NetworkSettings"]["Networks"]
        return str(nets[self.network().name]["IPAddress"])

    # -- gnome -----------------------------------------------------------------------------
    def _device_args(self) -> dict[str, Any]:
        devices = [f"{d}:{d}:rwm" for d in self.config.profile.devices]
        return {"devices": devices} if devices else {}

    def _privilege_args(self) -> dict[str, Any]:
        plan = self.privilege
        if plan.privileged:
            return {"privileged": True}
        return {
            "cap_add": list(plan.cap_add),
            "security_opt": list(plan.security_opt),
            "device_cgroup_rules": list(plan.device_cgroup_rules),
        }

    def gnome(self) -> Container:
        return self._memo(roles.GNOME) or self._remember_failure(
            roles.GNOME, self._timed(roles.GNOME, self._start_gnome)
        )

    def _host_bind_paths(self) -> list[str]:
        return ["/sys/fs/cgroup", *self.config.profile.devices]

    def _start_gnome(self) -> Container:
        squid = self.squid()
        del squid  # gnome reaches it as rpmcache on the seat network
        self.host_labels_before = {p: selinux.file_label(p) for p in self._host_bind_paths()}
        self.facts["selinux"] = {
            "mode": selinux.mode(),
            "policy": selinux.policy_type() or "none",
            "host_labels_before": self.host_labels_before,
        }
        image = self._image(roles.GNOME)
        container = self._create(
            roles.GNOME,
            image=image,
            tty=True,  # systemd writes its status and our units' output to the console
            ipc_mode="shareable",
            network=self.network().name,
            tmpfs={"/run": "rw,exec", "/run/lock": "rw"},
            volumes={
                "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                **self._tmp_mount(),
            },
            # Run-time installs (the recipe's drivers) go through the cache as rpmcache.
            environment={"container": "docker", "http_proxy": cache.RUNTIME_PROXY},
            **self._device_args(),
            **self._privilege_args(),
        )
        container.put_archive("/", _tar([_Entry(cache.APT_PROXY_CONF, cache.apt_proxy_conf())]))
        self._start(roles.GNOME, container)
        with self.timeline.phase("gnome: X server's socket", "container"):
            self._wait(
                roles.GNOME, container, self.x_socket.is_socket, 60, "the X socket", interval=0.1
            )
        with self.timeline.phase("gnome: Shell owns and paints the screen", "container"):
            self._wait(
                roles.GNOME, container, self._shell_owns_screen, GNOME_READY_TIMEOUT,
                "GNOME Shell to own the screen", interval=0.2,
            )  # fmt: skip
        with self.timeline.phase("gnome: pulse server's socket", "container"):
            self._pulse = self._wait(
                roles.GNOME,
                container,
                self._pulse_runtime,
                60,
                "the pulse server's socket",
                interval=0.2,
            )
        self.facts["pulse"] = {"runtime_dir": self._pulse.runtime_dir}
        self._record_versions(container)
        self.hooks.container_started(self, roles.GNOME, container)
        return container

    def _record_versions(self, gnome: Container) -> None:
        """The X server's and Mesa's versions, for the report's manifest."""
        x = execs.run(gnome, ["xdpyinfo"], environment={"DISPLAY": DISPLAY}, timeout=10)
        found = re.search(r"vendor string:\s*(.+)\n(?:.*\n)*?X.Org version:\s*(\S+)", x.stdout)
        self.facts["x_server"] = f"{found.group(1)} {found.group(2)}" if found else "unknown"
        gl = execs.run(
            gnome, ["glxinfo", "-B"], user=self.config.seat_user, environment={"DISPLAY": DISPLAY}
        )
        mesa = re.search(r"Mesa (\S+)", gl.stdout)
        self.facts["mesa"] = mesa.group(1) if mesa else "none"

    def _shell_owns_screen(self) -> bool:
        if not self.x_socket.is_socket():
            return False
        with x11.display_at(self.x_socket, timeout=5) as dpy:
            wm = x11.window_manager(dpy)
            # Owning the screen means painting it too: a flat screen is not drawn yet.
            painted = not x11.is_flat(x11.screenshot(dpy))
        return wm.wm_selection_owned and wm.name == "GNOME Shell" and painted

    def _pulse_runtime(self) -> PulseRuntime | None:
        gnome = self._containers[roles.GNOME]
        user = self.config.seat_user
        res = execs.shell(
            gnome,
            'mid=$(cat /etc/machine-id); echo "$mid"; '
            f'readlink "/home/{user}/.config/pulse/$mid-runtime"',
            timeout=10,
        )
        lines = res.stdout.split()
        if not res.ok or len(lines) != 2:
            return None
        runtime = PulseRuntime(machine_id=lines[0], runtime_dir=lines[1])
        host_socket = self.tmp_path / Path(runtime.socket).relative_to("/tmp")
        return runtime if host_socket.is_socket() else None

    @property
    def pulse(self) -> PulseRuntime:
        self.gnome()
        assert self._pulse is not None
        return self._pulse

    # -- apps ------------------------------------------------------------------------------
    def app(self, role: str) -> Container:
        if role not in roles.APP_ROLES:
            raise ValueError(f"{role!r} is not an app role")
        return self._memo(role) or self._remember_failure(
            role, self._timed(role, self._start_app), role
        )

    def start_apps(self, wanted: list[str]) -> None:
        """Stand several app containers up at the same time (each waits only on gnome). A
        role that fails is remembered, and its own checks get the error when they ask."""
        wanted = [r for r in wanted if r not in self._containers and r not in self._failed]
        if not wanted:
            return
        self.gnome()  # first: the apps join its IPC namespace and its pulse runtime
        for role in wanted:  # one at a time: the app images share layers a build makes
            self._image(role)
        with (
            self.timeline.phase("app containers, started at once", "container"),
            ThreadPoolExecutor(max_workers=len(wanted)) as pool,
        ):
            for future in [pool.submit(self.app, role) for role in wanted]:
                with contextlib.suppress(SetupError):
                    future.result()

    def _start_app(self, role: str) -> Container:
        pulse = self.pulse
        container = self._create(role, **self._app_kwargs(role), command=["sleep", "infinity"])
        # As the recipe: the gnome container's machine-id, and the pulse runtime link.
        container.put_archive("/", self._app_overlay(pulse))
        container.start()
        self._wait(role, container, lambda: container.status == "running", 30, "it to run")
        self.hooks.container_started(self, role, container)
        return container

    def _app_kwargs(self, role: str) -> dict[str, Any]:
        """How an app container joins the seat: gnome's IPC namespace, /tmp, DISPLAY."""
        gnome = self.gnome()
        return {
            "image": self._image(role),
            "ipc_mode": f"container:{gnome.id}",
            "network": self.network().name,
            "volumes": self._tmp_mount(),
            "environment": {"DISPLAY": DISPLAY, "http_proxy": cache.RUNTIME_PROXY},
            **self._device_args(),
            **self._privilege_args(),
        }

    def oneshot(
        self, role: str, command: list[str], *, timeout: float = 30, **overrides: Any
    ) -> execs.ExecResult:
        """Run ``command`` in a short-lived container joined to the seat like ``role``'s app,
        with ``overrides`` to its settings (for example ``network_mode="none"``)."""
        kwargs = {**self._app_kwargs(role), **overrides}
        if "network_mode" in overrides:
            kwargs.pop("network", None)
        probe_role = f"{role}-probe"
        kwargs["name"] = f"{self._name(probe_role)}-{secrets.token_hex(3)}"
        kwargs["command"] = ["timeout", "--kill-after=2", f"{timeout:g}", *command]
        container = self._create(probe_role, **kwargs)
        self._containers.pop(probe_role, None)
        try:
            container.start()
            code = container.wait(timeout=timeout + 15)["StatusCode"]
            out = container.logs(stdout=True, stderr=False).decode(errors="replace")
            err = container.logs(stdout=False, stderr=True).decode(errors="replace")
            return execs.ExecResult(tuple(command), int(code), out, err)
        finally:
            container.remove(force=True, v=True)

    def sidecar(self, role: str, image: str, command: list[str], **kwargs: Any) -> Container:
        """A helper container on the seat network for one check (a test mirror, say). It is
        labelled like the rest, so teardown removes it should the check not."""
        name = f"{self._name(role)}-{secrets.token_hex(3)}"
        container = self._create(
            role, name=name, image=image, command=command, network=self.network().name, **kwargs
        )
        self._containers.pop(role, None)
        return self._start(role, container)

    def extra_network(self, role: str) -> Network:
        """A labelled network apart from the seat's (a check's "outside")."""
        self._guard()
        return self.client.networks.create(
            f"{self._name(role)}-{secrets.token_hex(3)}", driver="bridge",
            labels=labels(self.session, role),
        )  # fmt: skip

    @property
    def pulse_socket(self) -> Path:
        """The pulse server's socket as the host sees it, in the shared volume."""
        return self.tmp_path / Path(self.pulse.socket).relative_to("/tmp")

    def pulse_cookie(self) -> bytes:
        user = self.config.seat_user
        result = execs.run(
            self.gnome(), ["base64", "-w0", f"/home/{user}/.config/pulse/cookie"], user=user
        )
        if not result.ok:
            raise ValueError(f"cannot read the pulse cookie: {result.describe()}")
        return base64.b64decode(result.stdout)

    def _app_overlay(self, pulse: PulseRuntime) -> bytes:
        user, uid = self.config.seat_user, self.config.seat_uid
        pulse_dir = f"home/{user}/.config/pulse"
        return _tar([
            _Entry("etc/machine-id", (pulse.machine_id + "\n").encode(), mode=0o444),
            _Entry(cache.APT_PROXY_CONF, cache.apt_proxy_conf()),
            _Entry(f"home/{user}/.config", kind=tarfile.DIRTYPE, mode=0o755, owner=uid),
            _Entry(pulse_dir, kind=tarfile.DIRTYPE, mode=0o700, owner=uid),
            _Entry(
                f"{pulse_dir}/{pulse.machine_id}-runtime", kind=tarfile.SYMTYPE, mode=0o777,
                owner=uid, link=pulse.runtime_dir,
            ),
        ])  # fmt: skip

    # -- creating and waiting ----------------------------------------------------------------
    def _create(self, role: str, **kwargs: Any) -> Container:
        kwargs.setdefault("name", self._name(role))
        kwargs["labels"] = labels(self.session, role)
        self._guard()
        self.hooks.container_config(self, role, kwargs)
        with self._console_lock:  # apps are created from several threads at once
            self._snapshot_console(kwargs.get("devices") or [])
        if "cap_add" in kwargs:
            kwargs["cap_add"] = [
                c for c in kwargs["cap_add"] if c not in self._caps_unknown_to_engine
            ]
        while True:
            try:
                container = self.client.containers.create(**kwargs)
                break
            except docker.errors.APIError as exc:
                # Engines know different capability sets; drop what this one does not know.
                unknown = _UNKNOWN_CAP.search(str(exc))
                caps = kwargs.get("cap_add") or []
                if unknown and unknown.group(1) in caps:
                    caps.remove(unknown.group(1))
                    self._caps_unknown_to_engine.append(unknown.group(1))
                    self.facts["capabilities_unknown_to_engine"] = self._caps_unknown_to_engine
                    continue
                raise SetupError(role, f"the engine refused the container: {exc}") from None
        self._containers[role] = container
        return container

    def _run(self, role: str, **kwargs: Any) -> Container:
        return self._start(role, self._create(role, **kwargs))

    def _start(self, role: str, container: Container) -> Container:
        try:
            container.start()
        except docker.errors.APIError as exc:
            raise SetupError(role, f"the container did not start: {exc.explanation}") from None
        return container

    def _wait(
        self, role: str, container: Container, probe: Any, timeout: float, what: str,
        interval: float = 0.5,
    ) -> Any:  # fmt: skip
        def exited() -> str | None:
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs["State"].get("ExitCode")
                return f"the {role} container exited (status {code})"
            return None

        try:
            return wait_for(probe, timeout, what, interval=interval, abort=exited)
        except WaitTimeout as exc:
            raise SetupError(role, str(exc), container_log_tail(container)) from None

    def _snapshot_console(self, devices: list[str]) -> None:
        """Read the console before a container that may touch it starts (and save it, so
        that the watchdog and `seatcheck restore-console` can put it back)."""
        vts = console.vts_of_devices([d.split(":", 1)[0] for d in devices])
        if self.console_before is not None and vts <= set(self.console_before.vts):
            return
        if self.console_before is None:  # the first container: every allocated VT, and getty
            vts |= console.allocated_vts()
            self.getty_before = console.getty_state()
            self.facts["getty_before"] = self.getty_before
        known = set(self.console_before.vts) if self.console_before else set()
        self.console_before = console.snapshot(vts | known)
        console.save(self.session, self.console_before)
        self.facts["console_before"] = {
            "active": self.console_before.active,
            "vts": [v.describe() for v in self.console_before.vts.values()],
        }

    # -- teardown --------------------------------------------------------------------------
    def teardown(self) -> TeardownReport:
        """Stop the seat, note what it left in common_tmp, remove everything labelled with the
        session, put the console back (text mode, keyboard mode, then the active VT)."""
        with self.timeline.phase("teardown", "teardown"):
            return self._teardown()

    def _teardown(self) -> TeardownReport:
        stale: list[str] = []
        anonymous = anonymous_volumes(self.client, self.session)
        failed = remove_containers(self.client, self.session)
        if self._tmp is not None:  # the volume outlives its containers until the next step
            with contextlib.suppress(docker.errors.DockerException, OSError):
                stale = tmpdir.stale_entries(self.tmp_path)
        failed += remove_session(self.client, self.session)
        restored: list[str] = []
        changed: list[str] = []
        after = None
        problems: list[str] = []
        if self.console_before is not None:
            # What the seat itself left, before the harness puts anything back.
            changed = console.differences(
                self.console_before, console.snapshot(set(self.console_before.vts))
            )
            try:
                restored = console.restore(self.console_before)
            except (OSError, TimeoutError) as exc:
                problems.append(f"restore failed: {exc}")
            after = console.snapshot(set(self.console_before.vts))
            problems += console.differences(self.console_before, after)
            if not problems:
                console.forget(self.session)
        if self._watchdog is not None:
            self._watchdog.done()
        left = leftovers(self.client, self.session)
        for name, owner in anonymous.items():
            with contextlib.suppress(docker.errors.NotFound):
                self.client.volumes.get(name)
                left.append(f"volume {name} (anonymous, of container {owner})")
        self.teardown_report = TeardownReport(
            failed=failed,
            leftovers=left,
            stale_tmp=stale,
            console_before=self.console_before,
            console_after=after,
            console_changed=changed,
            console_restored=restored,
            console_problems=problems,
            getty_before=self.getty_before,
            getty=console.getty_state(),
        )
        return self.teardown_report


def remove_containers(client: DockerClient, session: str, stop_timeout: int = 10) -> list[str]:
    """Remove a session's containers, apps before the gnome container they joined; gnome is
    stopped first (systemd shuts the X and pulse servers down) unless ``stop_timeout`` is 0."""
    failed: list[str] = []
    containers = client.containers.list(all=True, filters=session_filter(session))
    order = {roles.GNOME: 1, roles.SQUID: 2}
    for c in sorted(containers, key=lambda c: order.get(c.labels.get(ROLE, ""), 0)):
        try:
            if c.labels.get(ROLE) == roles.GNOME and c.status == "running" and stop_timeout:
                c.stop(timeout=stop_timeout)
            c.remove(force=True, v=True)  # with its anonymous volumes (an image's VOLUME)
        except docker.errors.NotFound:
            pass
        except docker.errors.DockerException as exc:
            failed.append(f"container {c.name}: {exc}")
    return failed


def anonymous_volumes(client: DockerClient, session: str) -> dict[str, str]:
    """Volumes the session's containers mount that nobody named (an image's ``VOLUME``):
    name -> the container that mounts it. They carry no labels, so teardown lists them first."""
    found = {}
    for c in client.containers.list(all=True, filters=session_filter(session)):
        for mount in c.attrs.get("Mounts") or []:
            name = str(mount.get("Name") or "")
            if mount.get("Type") == "volume" and re.fullmatch(r"[0-9a-f]{64}", name):
                found[name] = str(c.name)
    return found


def remove_session(client: DockerClient, session: str, stop_timeout: int = 10) -> list[str]:
    """Remove a session's containers, networks and volumes (the kept volumes excepted)."""
    flt = session_filter(session)
    failed = remove_containers(client, session, stop_timeout)
    for net in client.networks.list(filters=flt):
        try:
            net.remove()
        except docker.errors.NotFound:
            pass
        except docker.errors.DockerException as exc:
            failed.append(f"network {net.name}: {exc}")
    for vol in client.volumes.list(filters=flt):
        if kept_volume(vol):
            continue
        try:
            vol.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.DockerException as exc:
            failed.append(f"volume {vol.name}: {exc}")
    return failed


def leftovers(client: DockerClient, session: str) -> list[str]:
    """What is still labelled with this session (the squid cache volume excepted)."""
    flt = session_filter(session)
    found = [f"container {c.name}" for c in client.containers.list(all=True, filters=flt)]
    found += [f"network {n.name}" for n in client.networks.list(filters=flt)]
    found += [f"volume {v.name}" for v in client.volumes.list(filters=flt) if not kept_volume(v)]
    return found


def kept_volume(volume: Volume) -> bool:
    """Volumes that outlive runs by design: the squid cache, a named common_tmp."""
    return (volume.attrs.get("Labels") or {}).get(KEEP) == "true" or (
        volume.name == SQUID_CACHE_VOLUME
    )


@dataclass(frozen=True)
class _Entry:
    """One file, directory or link of an archive put into a container at /."""

    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    mode: int = 0o644
    owner: int = 0  # uid and gid
    link: str = ""


def _tar(entries: list[_Entry]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type, info.mode, info.uid, info.gid = e.kind, e.mode, e.owner, e.owner
            info.linkname, info.size, info.mtime = e.link, len(e.data), int(time.time())
            tar.addfile(info, io.BytesIO(e.data) if e.data else None)
    return buf.getvalue()


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


__all__ = ["Seat", "PulseRuntime", "remove_session", "leftovers", "SESSION"]
