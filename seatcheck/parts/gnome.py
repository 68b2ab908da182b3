"""The gnome container: systemd as PID 1, the display mode's X server, pulseaudio for the seat
user with its runtime dir in the shared /tmp, and GNOME Shell. Ready when Shell owns and
paints the screen and pulse's socket exists."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docker.models.containers import Container

from .. import cache, roles
from ..context import SeatContext
from ..displays import DisplayMode, display_for
from ..engine import execs
from ..probes import selinux, x11
from .base import FileEntry, Part, start, tar, wait_ready
from .common_tmp import DISPLAY, PulseRuntime

READY_TIMEOUT = 180.0
SESSION_UNIT = "seatcheck-session.service"  # GNOME Shell for the seat user
UDEV_DB = Path("/run/udev")


class GnomePart(Part):
    role = roles.GNOME

    def __init__(self, seat: SeatContext) -> None:
        super().__init__(seat)
        self.display: DisplayMode = display_for(seat.config.profile)
        self.pulse: PulseRuntime | None = None

    def host_bind_paths(self) -> list[str]:
        return ["/sys/fs/cgroup", *self.seat.config.profile.devices]

    def _udev_volume(self) -> dict[str, dict[str, str]]:
        # No udevd of its own: X's libinput and pulse's udev-detect read the host's database.
        if self.seat.config.profile.devices and UDEV_DB.is_dir():
            return {str(UDEV_DB): {"bind": str(UDEV_DB), "mode": "ro"}}
        return {}

    def _driver_install(self) -> list[FileEntry]:
        """The run-time install of NVIDIA's user-space, where the seat needs one."""
        user_space = self.seat.devices.user_space()
        script = user_space.install(roles.GNOME) if user_space else ""
        if not script:
            return []
        body = f"#!/bin/sh\n{script}\n".encode()
        return [FileEntry("etc/seatcheck/driver-install", body, mode=0o755)]

    def start(self) -> Container:
        seat = self.seat
        seat.squid()  # gnome reaches it as rpmcache on the seat network
        seat.host_labels_before = {p: selinux.file_label(p) for p in self.host_bind_paths()}
        seat.facts.selinux = {
            "mode": selinux.mode(),
            "policy": selinux.policy_type() or "none",
            "host_labels_before": seat.host_labels_before,
        }
        image = seat.image(roles.GNOME)
        self.display.prepare()
        seat.facts.display = self.display.facts()
        devices = [*seat.devices.paths(), *self.display.devices()]
        device_args: dict[str, Any] = {"devices": [f"{d}:{d}:rwm" for d in devices]}
        container = seat.create(
            roles.GNOME,
            image=image,
            tty=True,  # systemd writes its status and our units' output to the console
            ipc_mode="shareable",
            network=seat.network.get().name,
            tmpfs={"/run": "rw,exec", "/run/lock": "rw"},
            # systemd in here makes its own cgroups under the host's /sys/fs/cgroup bound in:
            # on cgroup v2 that needs the host's cgroup namespace (the engine's default there
            # is a private one, where PID 1 fails to create /init.scope).
            cgroupns="host",
            volumes={
                "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                **self._udev_volume(),
                **seat.devices.driver_volumes(),
                **seat.tmp.mount(),
            },
            # Run-time installs (the recipe's drivers) go through the cache as rpmcache.
            environment={"container": "docker", "http_proxy": cache.RUNTIME_PROXY},
            **(device_args if devices else {}),
            **seat.devices.privilege_args(),
        )
        install = self._driver_install()
        container.put_archive(
            "/",
            tar([FileEntry(cache.APT_PROXY_CONF, cache.apt_proxy_conf()), *self.display.files(),
                 *install]),
        )  # fmt: skip
        start(roles.GNOME, container)
        with seat.timeline.phase("gnome: X server's socket", "container"):
            wait_ready(
                roles.GNOME, container, seat.tmp.x_socket.is_socket, 60 + (900 if install else 0),
                "the X socket", interval=0.1,
            )  # fmt: skip
        with seat.timeline.phase("gnome: Shell owns and paints the screen", "container"):
            wait_ready(
                roles.GNOME, container, self._shell_owns_screen, READY_TIMEOUT,
                "GNOME Shell to own the screen", interval=0.2,
                abort=self._session_failed(container),
            )  # fmt: skip
        with seat.timeline.phase("gnome: pulse server's socket", "container"):
            self.pulse = wait_ready(
                roles.GNOME, container, lambda: self._pulse_runtime(container), 60,
                "the pulse server's socket", interval=0.2,
            )  # fmt: skip
        seat.facts.pulse = {"runtime_dir": self.pulse.runtime_dir}
        restarts = execs.run(container, ["systemctl", "show", "-p", "NRestarts", "--value",
                                         SESSION_UNIT], timeout=10).stdout.strip()  # fmt: skip
        seat.facts.gnome_shell_restarts = int(restarts) if restarts.isdigit() else restarts
        self._record_versions(container)
        return container

    def diagnostics(self) -> dict[str, list[str]]:
        # systemd's journal (the session's and the X server's units), X's own log, and what
        # runs: a set-up that timed out in a VM is read from these, after the fact.
        return {
            "journal": ["journalctl", "-b", "--no-pager", "-o", "short-monotonic", "-n", "400"],
            "xorg-log": ["sh", "-c", "cat /var/log/Xorg.0.log 2>/dev/null || echo none"],
            "processes": ["ps", "-eo", "pid,ppid,stat,etime,rss,args"],
            "units": ["systemctl", "list-units", "--failed", "--no-pager"],
        }

    def _record_versions(self, gnome: Container) -> None:
        """The X server's and Mesa's versions, for the report's manifest."""
        x = execs.run(gnome, ["xdpyinfo"], environment={"DISPLAY": DISPLAY}, timeout=10)
        found = re.search(r"vendor string:\s*(.+)\n(?:.*\n)*?X.Org version:\s*(\S+)", x.stdout)
        self.seat.facts.x_server = f"{found.group(1)} {found.group(2)}" if found else "unknown"
        gl = execs.run(
            gnome, ["glxinfo", "-B"], user=self.seat.config.seat_user,
            environment={"DISPLAY": DISPLAY},
        )  # fmt: skip
        mesa = re.search(r"Mesa (\S+)", gl.stdout)
        self.seat.facts.mesa = mesa.group(1) if mesa else "none"

    @staticmethod
    def _session_failed(gnome: Container, every: float = 5.0) -> Callable[[], str | None]:
        """Whether the session's unit has failed (GNOME Shell will not come: each probe
        connection then only makes X reset), asked every few seconds."""
        asked = [0.0]

        def failed() -> str | None:
            if time.monotonic() - asked[0] < every:
                return None
            asked[0] = time.monotonic()
            shown = execs.run(
                gnome, ["systemctl", "show", "-p", "ActiveState", "-p", "Result", SESSION_UNIT],
                timeout=10,
            ).stdout  # fmt: skip
            state = dict(line.split("=", 1) for line in shown.split() if "=" in line)
            if state.get("ActiveState") == "failed":
                return f"{SESSION_UNIT} failed ({state.get('Result')}): GNOME Shell will not run"
            return None

        return failed

    def _shell_owns_screen(self) -> bool:
        socket_path = self.seat.tmp.x_socket
        if not socket_path.is_socket():
            return False
        with x11.display_at(socket_path, timeout=5) as dpy:
            wm = x11.window_manager(dpy)
            # Owning the screen means painting it too: a flat screen is not drawn yet.
            painted = not x11.is_flat(x11.screenshot(dpy))
        return wm.wm_selection_owned and wm.name == "GNOME Shell" and painted

    def _pulse_runtime(self, gnome: Container) -> PulseRuntime | None:
        user = self.seat.config.seat_user
        res = execs.shell(
            gnome,
            'mid=$(cat /etc/machine-id); echo "$mid"; '
            f'readlink "/home/{user}/.config/pulse/$mid-runtime"',
            timeout=10,
        )
        lines = res.stdout.split()
        if not res.ok or len(lines) != 2:
            return None
        host_socket = self.seat.tmp.path / Path(lines[1], "native").relative_to("/tmp")
        runtime = PulseRuntime(lines[0], lines[1], host_socket)
        return runtime if host_socket.is_socket() else None
