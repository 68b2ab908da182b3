"""The seat: a facade that starts each part once, starts apps and tears down.

The parts are one class per kind of container (``parts/``) and the seat's shared resources
(``parts/network``, ``parts/common_tmp``, ``parts/devices``, ``parts/guard``); they reach the
seat through ``context.SeatContext``. Everything is created with the labels
``seatcheck.session`` and ``seatcheck.role`` and torn down by label, so a set-up that fails
half way is cleaned up just as well as a finished one.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker.errors
from docker import DockerClient
from docker.models.containers import Container

from . import capabilities, roles
from . import secrets as secrets_mod
from .capabilities import PrivilegePlan
from .config import SeatConfig
from .context import SeatHooks
from .engine import execs
from .engine.containers import ContainerMaker
from .engine.labels import labels, seat_name
from .errors import SetupError
from .facts import RunFacts
from .images import ImageBuilder, Progress
from .parts.app import AppPart
from .parts.base import Part, save_diagnostics, start
from .parts.common_tmp import CommonTmp, PulseRuntime
from .parts.devices import SeatDevices
from .parts.gnome import GnomePart
from .parts.guard import SeatGuard
from .parts.network import SeatNetwork
from .parts.squid import SquidPart
from .parts.teardown import TeardownReport, tear_down
from .timeline import Timeline


class Seat:
    """One run's seat. Create it, ask for the parts you need, always call ``teardown``."""

    def __init__(
        self, client: DockerClient, config: SeatConfig, progress: Progress,
        privilege: PrivilegePlan | None = None, hooks: SeatHooks | None = None,
    ) -> None:  # fmt: skip
        self.client, self.config, self.progress = client, config, progress
        self.hooks = hooks or SeatHooks()
        self.session = config.run_id
        self.timeline = Timeline()
        self.images = ImageBuilder(client, config, progress, tag_prefix=config.tag_prefix)
        self.images.before_build = lambda role, kwargs: self.hooks.build_config(self, role, kwargs)
        privilege = privilege or capabilities.host_plan()
        self.facts = RunFacts(self.session, config.profile.name, privilege.describe())
        self.guard = SeatGuard(config, self.timeline, self.facts)
        self.network = SeatNetwork(client, self.session, self.guard)
        self.tmp = CommonTmp(client, config, self.guard, progress, self.facts)
        self.devices = SeatDevices(config, privilege, self.facts)
        self._maker = ContainerMaker(client)
        self._containers: dict[str, Container] = {}
        self._failed: dict[str, SetupError] = {}
        self._gnome = GnomePart(self)
        self.secrets = secrets_mod.SeatSecrets(self.session, config.seat_uid)
        self.teardown_report: TeardownReport | None = None
        # Labels of the host paths bound into the seat, read before any container uses them.
        self.host_labels_before: dict[str, str] = {}

    def name_of(self, role: str) -> str:
        return seat_name(self.session, role)

    def image(self, role: str) -> str:
        known = self.facts.images.get(role)
        if known is not None:  # resolved once per run: the run tests one image per role
            return str(known["ref"])
        with self.timeline.phase(f"image {role} (resolve or build)", "image"):
            ref = self.images.role_image(role)
        self.facts.images[role] = {"ref": ref, "id": self.images.digest(ref)}
        return ref

    # -- the containers, one part each -----------------------------------------------------
    def _stood_up(self, part: Part) -> Container:
        """The part's container: started once, timed, announced to the hooks; a part that
        failed to stand up raises the same error to everyone who asks again."""
        role = part.role
        if role in self._failed:
            raise self._failed[role]
        if role in self._containers:
            return self._containers[role]
        try:
            with self.timeline.phase(f"{role}: create to ready", "container"):
                container = part.start()
        except SetupError as exc:
            self._failed[role] = exc
            failed = self._containers.pop(role, None)
            if failed is not None:  # its log and its own view kept, then the part is gone
                save_diagnostics(part, failed, self.config.run_dir)
                with contextlib.suppress(docker.errors.DockerException):
                    failed.remove(force=True, v=True)
            raise
        self.hooks.container_started(self, role, container)
        return container

    def squid(self) -> Container:
        return self._stood_up(SquidPart(self))

    def gnome(self) -> Container:
        return self._stood_up(self._gnome)

    @property
    def pulse(self) -> PulseRuntime:
        self.gnome()
        assert self._gnome.pulse is not None
        return self._gnome.pulse

    def pulse_cookie(self) -> bytes:
        user = self.config.seat_user
        cookie = f"/home/{user}/.config/pulse/cookie"
        found = execs.check(self.gnome(), ["base64", "-w0", cookie], user=user)
        return base64.b64decode(found.stdout)

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
        """A helper container on the seat network for one check (a test mirror, say),
        labelled like the rest, so teardown removes it should the check not."""
        name = f"{self.name_of(role)}-{secrets.token_hex(3)}"
        container = self.create(
            role, remember=False, name=name, image=image, command=command,
            network=self.network.get().name, **kwargs,
        )  # fmt: skip
        return start(role, container)

    def seat_addresses(self) -> set[str]:
        """The seat's own containers' addresses: their requests at the cache are not builds."""
        mine = [c for role, c in list(self._containers.items()) if role != roles.SQUID]
        return self.network.addresses_of(mine)  # a copy: apps may be starting

    def create(self, role: str, remember: bool = True, **kwargs: Any) -> Container:
        """A labelled container for ``role``, after the hooks and the console snapshot.
        ``remember``: it is the role's container (a probe's or a sidecar's is not)."""
        kwargs.setdefault("name", self.name_of(role))
        kwargs["labels"] = labels(self.session, role)
        self.guard.watch()
        self.hooks.container_config(self, role, kwargs)
        self.guard.snapshot_console(kwargs.get("devices") or [])
        container = self._maker.create(role, kwargs)
        if self._maker.unknown_caps:
            self.facts.capabilities_unknown_to_engine = self._maker.unknown_caps
        if remember:
            self._containers[role] = container
        return container

    def teardown(self) -> TeardownReport:
        """Stop the seat, note what it left in common_tmp, remove everything labelled with the
        session, put the console back (text mode, keyboard mode, then the active VT)."""
        with self.timeline.phase("teardown", "teardown"):
            self.teardown_report = tear_down(self)
            self.secrets.remove()  # bound in at run time, gone with the seat
        return self.teardown_report
