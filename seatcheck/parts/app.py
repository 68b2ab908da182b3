"""An app container (chrome, vlc, shell): joins gnome's IPC namespace, the shared /tmp and the
seat network, with the gnome container's machine-id and the pulse runtime link, as the recipe
does; it idles until a driver starts its program."""

from __future__ import annotations

import secrets
import tarfile
from typing import Any

from docker.models.containers import Container

from .. import cache, roles
from ..context import SeatContext
from ..engine import execs
from ..errors import SetupError
from .base import FileEntry, Part, run_to_end, tar, wait_ready
from .common_tmp import DISPLAY, PulseRuntime


class AppPart(Part):
    def __init__(self, seat: SeatContext, role: str) -> None:
        super().__init__(seat)
        self.role = role

    def start(self) -> Container:
        seat, role = self.seat, self.role
        pulse = seat.pulse
        container = seat.create(role, **self.create_args(), command=["sleep", "infinity"])
        container.put_archive("/", self.overlay(pulse))
        container.start()
        wait_ready(role, container, lambda: container.status == "running", 30, "it to run")
        user_space = seat.devices.user_space()
        script = user_space.install(role) if user_space else ""
        if script and user_space:  # the recipe's way: the driver installed at run time
            done = execs.run(container, ["sh", "-c", script], timeout=900)
            if not done.ok:
                raise SetupError(
                    role,
                    f"installing NVIDIA's user-space {user_space.version} through the package "
                    f"cache failed: {done.describe()}",
                )
        return container

    def create_args(self) -> dict[str, Any]:
        """How an app container joins the seat: gnome's IPC namespace, /tmp, DISPLAY."""
        seat = self.seat
        gnome = seat.gnome()
        return {
            "image": seat.image(self.role),
            "ipc_mode": f"container:{gnome.id}",
            "network": seat.network.get().name,
            "volumes": {
                **seat.devices.driver_volumes(),
                **self._secret_volume(),
                **seat.tmp.mount(),
            },
            # No http_proxy: the package cache is apt's own setting (the recipe's dnf.conf
            # line); in the environment, chromium would send page loads to it, around
            # chrome's VPN.
            "environment": {"DISPLAY": DISPLAY},
            **seat.devices.args(),
            **seat.devices.privilege_args(),
        }

    def _secret_volume(self) -> dict[str, dict[str, str]]:
        # As the recipe: keys and configs with secrets are bound in at run time, read-only,
        # never copied into an image (the shell app is where the seat user works with them).
        if self.role != roles.SHELL:
            return {}
        found = self.seat.secrets.get()
        return {str(found.folder): {"bind": found.mount_point(self.seat.config.seat_user),
                                    "mode": "ro"}}  # fmt: skip

    def overlay(self, pulse: PulseRuntime) -> bytes:
        # As the recipe: the gnome container's machine-id, and the pulse runtime link.
        user, uid = self.seat.config.seat_user, self.seat.config.seat_uid
        pulse_dir = f"home/{user}/.config/pulse"
        return tar([
            FileEntry("etc/machine-id", (pulse.machine_id + "\n").encode(), mode=0o444),
            FileEntry(cache.APT_PROXY_CONF, cache.apt_proxy_conf()),
            FileEntry(f"home/{user}/.config", kind=tarfile.DIRTYPE, mode=0o755, owner=uid),
            FileEntry(pulse_dir, kind=tarfile.DIRTYPE, mode=0o700, owner=uid),
            FileEntry(
                f"{pulse_dir}/{pulse.machine_id}-runtime", kind=tarfile.SYMTYPE, mode=0o777,
                owner=uid, link=pulse.runtime_dir,
            ),
        ])  # fmt: skip

    def oneshot(self, command: list[str], timeout: float, **overrides: Any) -> execs.ExecResult:
        """Run ``command`` in a short-lived container joined to the seat like this app, with
        ``overrides`` to its settings (for example ``network_mode="none"``)."""
        seat = self.seat
        kwargs = {**self.create_args(), **overrides}
        if "network_mode" in overrides:
            kwargs.pop("network", None)
        probe_role = f"{self.role}-probe"
        kwargs["name"] = f"{seat.name_of(probe_role)}-{secrets.token_hex(3)}"
        kwargs["command"] = ["timeout", "--kill-after=2", f"{timeout:g}", *command]
        container = seat.create(probe_role, remember=False, **kwargs)
        return run_to_end(container, tuple(command), timeout)
