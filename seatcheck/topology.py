"""The seat: squid, the shared /tmp volume, the gnome container and the app containers.

A thin facade over one class per kind of container (``parts/``) and per display mode
(``displays/``). Everything is created with the labels ``seatcheck.session`` and
``seatcheck.role`` and torn down by label (``labels.remove_session``), so a set-up that fails
half way is cleaned up just as well as a finished one.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient
from docker.models.containers import Container
from docker.models.networks import Network
from docker.models.volumes import Volume

from . import cache, capabilities, console, execs, nvidia, reaper, roles
from . import secrets as secrets_mod
from .capabilities import PrivilegePlan
from .config import SeatConfig
from .context import DISPLAY, PulseRuntime
from .drivers import cleanup
from .errors import ProbeError, SetupError
from .images import ImageBuilder, Progress
from .labels import SESSION, labels, leftovers, remove_session
from .parts.app import AppPart
from .parts.base import Part, container_log_tail, start
from .parts.gnome import GnomePart
from .parts.squid import SquidPart
from .parts.teardown import TeardownReport, tear_down
from .timeline import Timeline

_UNKNOWN_CAP = re.compile(r'unknown capability: "?(?:CAP_)?([A-Z_]+)"?')


class SeatHooks:
    """Extension points around each container; the pytest plugin routes them to its hooks."""

    def container_config(self, seat: Seat, role: str, kwargs: dict[str, Any]) -> None:
        """Adjust create() arguments before ``role``'s container is created."""

    def container_started(self, seat: Seat, role: str, container: Container) -> None:
        """``role``'s container is ready."""

    def build_config(self, seat: Seat, role: str, kwargs: dict[str, Any]) -> None:
        """Adjust build() arguments before ``role``'s image is built."""


UNMASK_SYSTEM_PATHS = "systempaths=unconfined"


def _create_container(client: DockerClient, kwargs: dict[str, Any]) -> Container:
    """``containers.create``, where ``systempaths=unconfined`` among the security options
    becomes what the docker CLI makes of it: empty MaskedPaths and ReadonlyPaths in the host
    config (the engine rejects it as a security option, and the SDK has no parameter for it)."""
    options = kwargs.get("security_opt") or []
    if UNMASK_SYSTEM_PATHS not in options:
        return client.containers.create(**kwargs)
    # The SDK's own translation of create()'s keywords (private, unchanged since docker 2.0).
    from docker.models.containers import _create_container_args  # type: ignore[attr-defined]

    args = dict(kwargs, security_opt=[o for o in options if o != UNMASK_SYSTEM_PATHS])
    args["version"] = client.api.api_version
    create = _create_container_args(args)
    create["host_config"].update(MaskedPaths=[], ReadonlyPaths=[])
    return client.containers.get(client.api.create_container(**create)["Id"])


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
        self._failed: dict[str, SetupError] = {}
        self._user_space: nvidia.UserSpace | None = None
        self._secrets: secrets_mod.SecretSet | None = None
        self._caps_unknown_to_engine: list[str] = []
        self._watchdog: reaper.Watchdog | None = None
        self._console_lock = threading.Lock()
        self._gnome = GnomePart(self)
        self.console_before: console.ConsoleSnapshot | None = None
        self.getty_before: str | None = None
        self.teardown_report: TeardownReport | None = None
        # Labels of the host paths bound into the seat, read before any container uses them.
        self.host_labels_before: dict[str, str] = {}

    # -- naming and images -----------------------------------------------------------------
    def name_of(self, role: str) -> str:
        return f"seatcheck-{self.session}-{role}"

    def image(self, role: str) -> str:
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

    def watchdog_done(self) -> None:
        if self._watchdog is not None:
            self._watchdog.done()

    def network(self) -> Network:
        self._guard()
        if self._network is None:
            self._network = self.client.networks.create(
                self.name_of(roles.NETWORK), driver="bridge",
                labels=labels(self.session, "network"),
            )  # fmt: skip
        return self._network

    def network_subnets(self) -> list[str]:
        ipam = self.network().attrs.get("IPAM") or {}
        return [c["Subnet"] for c in ipam.get("Config") or [] if c.get("Subnet")]

    def extra_network(self, role: str, internal: bool = False) -> Network:
        """A labelled network apart from the seat's (a check's "outside"); ``internal``: the
        engine gives it no route out."""
        self._guard()
        return self.client.networks.create(
            f"{self.name_of(role)}-{secrets.token_hex(3)}", driver="bridge",
            internal=internal, labels=labels(self.session, role),
        )  # fmt: skip

    def common_tmp(self) -> Volume:
        """The shared /tmp volume (the recipe's ``common_tmp``): new for the run, or the
        configured named one, cleared of what a dead seat left in it."""
        self._guard()
        if self._tmp is None:
            name = self.config.tmp_volume
            if not name:
                self._tmp = self.client.volumes.create(
                    name=self.name_of(roles.COMMON_TMP),
                    labels=labels(self.session, roles.COMMON_TMP),
                )
            else:
                self._tmp = self._reuse_tmp(name)
        return self._tmp

    @property
    def has_common_tmp(self) -> bool:
        return self._tmp is not None

    def _reuse_tmp(self, name: str) -> Volume:
        try:
            volume = self.client.volumes.get(name)
        except docker.errors.NotFound:
            return self.client.volumes.create(
                name=name, labels=labels(self.session, roles.COMMON_TMP, keep=True)
            )
        self.refuse_volume_in_use(name, roles.COMMON_TMP, "stop them or name another volume")
        cleared = cleanup.clear_stale(Path(volume.attrs["Mountpoint"]))
        if cleared:
            self.progress(f"[common_tmp] cleared what a dead seat left: {'; '.join(cleared)}")
        self.facts["common_tmp_cleared"] = cleared
        return volume

    def refuse_volume_in_use(self, name: str, role: str, advice: str) -> None:
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

    def tmp_mount(self) -> dict[str, dict[str, str]]:
        # :z — the shared label, so that every container may use the volume.
        return {self.common_tmp().name: {"bind": "/tmp", "mode": "rw,z"}}

    def device_args(self) -> dict[str, Any]:
        devices = [f"{d}:{d}:rwm" for d in self.device_paths()]
        return {"devices": devices} if devices else {}

    def device_paths(self) -> list[str]:
        """The profile's devices, and NVIDIA's nodes where the profile runs on its driver."""
        user_space = self.gpu_user_space()
        return [*self.config.profile.devices, *(user_space.devices if user_space else ())]

    def gpu_user_space(self) -> nvidia.UserSpace | None:
        """NVIDIA's user-space of the kernel module's version (found once per run)."""
        if self.config.profile.match.vendor != "nvidia":
            return None
        if self._user_space is None:
            self._user_space = nvidia.user_space_for(self.config.profile)
            self.facts["nvidia_user_space"] = dataclasses.asdict(self._user_space)
        return self._user_space

    def driver_volumes(self) -> dict[str, dict[str, str]]:
        """The host's driver files bound in read-only at their own paths (as the NVIDIA
        Container Toolkit does), so that every container has the module's version."""
        user_space = self.gpu_user_space()
        return {f: {"bind": f, "mode": "ro"} for f in (user_space.files if user_space else ())}

    def privilege_args(self) -> dict[str, Any]:
        plan = self.privilege
        if plan.privileged:
            return {"privileged": True}
        return {
            "cap_add": list(plan.cap_add),
            "security_opt": list(plan.security_opt),
            "device_cgroup_rules": list(plan.device_cgroup_rules),
        }

    # -- the containers, one part each -----------------------------------------------------
    def _stood_up(self, part: Part) -> Container:
        """The part's container: started once, timed, announced to the hooks; a part that
        failed to stand up raises the same error to everyone who asks again."""
        role = part.role
        if role in self._failed:
            raise self._failed[role]
        known = self._containers.get(role)
        if known is not None:
            return known
        try:
            with self.timeline.phase(f"{role}: create to ready", "container"):
                container = part.start()
        except SetupError as exc:
            self._failed[role] = exc
            self._save_setup_diagnostics(part)
            raise
        self.hooks.container_started(self, role, container)
        return container

    def _save_setup_diagnostics(self, part: Part) -> None:
        """A part that did not come up leaves its whole log and its own diagnostics in the
        run's folder (``setup-<role>-*.txt``), for a run nobody watched (CI, the VM)."""
        container = self._containers.get(part.role)
        if container is None:
            return
        folder = self.config.run_dir
        folder.mkdir(parents=True, exist_ok=True)
        saved = {"log": container_log_tail(container, lines=2000)}
        for name, argv in part.diagnostics().items():
            try:
                result = execs.run(container, argv, timeout=20)
                saved[name] = result.stdout + result.stderr
            except (ProbeError, execs.ExecTimeout, docker.errors.DockerException) as exc:
                # a dead or hung container: say so, keep the rest
                saved[name] = f"(not read: {exc})"
        for name, text in saved.items():
            (folder / f"setup-{part.role}-{name}.txt").write_text(text)

    def squid(self) -> Container:
        return self._stood_up(SquidPart(self))

    def gnome(self) -> Container:
        return self._stood_up(self._gnome)

    @property
    def pulse(self) -> PulseRuntime:
        self.gnome()
        assert self._gnome.pulse is not None
        return self._gnome.pulse

    def app(self, role: str) -> Container:
        if role not in roles.APP_ROLES:
            raise ValueError(f"{role!r} is not an app role")
        return self._stood_up(AppPart(self, role))

    def start_apps(self, wanted: list[str]) -> None:
        """Stand several app containers up at the same time (each waits only on gnome). A
        role that fails is remembered, and its own checks get the error when they ask."""
        wanted = [r for r in wanted if r not in self._containers and r not in self._failed]
        if not wanted:
            return
        self.gnome()  # first: the apps join its IPC namespace and its pulse runtime
        for role in wanted:  # one at a time: the app images share layers a build makes
            self.image(role)
        with (
            self.timeline.phase("app containers, started at once", "container"),
            ThreadPoolExecutor(max_workers=len(wanted)) as pool,
        ):
            for future in [pool.submit(self.app, role) for role in wanted]:
                with contextlib.suppress(SetupError):
                    future.result()

    def oneshot(
        self, role: str, command: list[str], *, timeout: float = 30, **overrides: Any
    ) -> execs.ExecResult:
        """Run ``command`` in a short-lived container joined to the seat like ``role``'s app,
        with ``overrides`` to its settings (for example ``network_mode="none"``)."""
        return AppPart(self, role).oneshot(command, timeout, **overrides)

    def sidecar(self, role: str, image: str, command: list[str], **kwargs: Any) -> Container:
        """A helper container on the seat network for one check (a test mirror, say). It is
        labelled like the rest, so teardown removes it should the check not."""
        name = f"{self.name_of(role)}-{secrets.token_hex(3)}"
        container = self.create(
            role, remember=False, name=name, image=image, command=command,
            network=self.network().name, **kwargs,
        )  # fmt: skip
        return start(role, container)

    # -- what checks read ------------------------------------------------------------------
    @property
    def squid_address(self) -> str:
        """squid's address on the seat network."""
        return self.address_of(self.squid())

    def seat_addresses(self) -> set[str]:
        """The seat's own containers' addresses: their requests at the cache are not builds."""
        found = set()
        for role, container in list(self._containers.items()):  # apps may be starting
            if role == roles.SQUID:
                continue
            with contextlib.suppress(docker.errors.DockerException, KeyError):
                found.add(self.address_of(container))
        return found

    def cache_facts(self) -> dict[str, Any]:
        """The report's package-cache section: the squid, this run's builds, the last build."""
        last = cache.last_build()
        return {
            **self.facts.get("squid", {}),
            "clients": self.network_subnets() if self._network is not None else [],
            "builds": [r.as_dict() for r in self.images.records],
            "last_build": last.as_dict() if last else None,
            # the builds that made the images this seat runs (a warm run builds nothing)
            "seat_builds": [
                r.as_dict()
                for r in cache.builds_of(
                    {role: str(i.get("id")) for role, i in self.facts.get("images", {}).items()}
                )
            ],
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

    # -- creating --------------------------------------------------------------------------
    def create(self, role: str, remember: bool = True, **kwargs: Any) -> Container:
        """A labelled container for ``role``, after the hooks and the console snapshot;
        capabilities this engine does not know are dropped. ``remember``: it is the role's
        container (a probe's or a sidecar's is not)."""
        kwargs.setdefault("name", self.name_of(role))
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
                container = _create_container(self.client, kwargs)
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
        if remember:
            self._containers[role] = container
        return container

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
            self.teardown_report = tear_down(self)
            if self._secrets is not None:  # bound in at run time, gone with the seat
                secrets_mod.remove(self._secrets)
        return self.teardown_report

    @property
    def secrets_made(self) -> secrets_mod.SecretSet | None:
        """This run's secrets where any were made (their token outlives their removal)."""
        return self._secrets

    def secrets(self) -> secrets_mod.SecretSet:
        """This run's secrets (made fresh on first use), bound read-only into the shell app."""
        if self._secrets is None:
            self._secrets = secrets_mod.make(self.session, self.config.seat_uid)
        return self._secrets


__all__ = [
    "DISPLAY",
    "SESSION",
    "PulseRuntime",
    "Seat",
    "SeatHooks",
    "TeardownReport",
    "container_log_tail",
    "leftovers",
    "remove_session",
]
