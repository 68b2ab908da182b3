"""What the seat's containers are given of the machine: the profile's device nodes, NVIDIA's
nodes and user-space files where the profile runs on its driver, and the privilege plan."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import nvidia
from ..capabilities import PrivilegePlan
from ..config import SeatConfig
from ..facts import RunFacts


class SeatDevices:
    def __init__(self, config: SeatConfig, privilege: PrivilegePlan, facts: RunFacts):
        self.config = config
        self.privilege = privilege
        self.facts = facts
        self._user_space: nvidia.UserSpace | None = None

    def args(self) -> dict[str, Any]:
        devices = [f"{d}:{d}:rwm" for d in self.paths()]
        return {"devices": devices} if devices else {}

    def paths(self) -> list[str]:
        """The profile's devices, and NVIDIA's nodes where the profile runs on its driver."""
        user_space = self.user_space()
        return [*self.config.profile.devices, *(user_space.devices if user_space else ())]

    def user_space(self) -> nvidia.UserSpace | None:
        """NVIDIA's user-space of the kernel module's version (found once per run)."""
        if self.config.profile.match.vendor != "nvidia":
            return None
        if self._user_space is None:
            self._user_space = nvidia.user_space_for(self.config.profile)
            self.facts.nvidia_user_space = dataclasses.asdict(self._user_space)
        return self._user_space

    def driver_volumes(self) -> dict[str, dict[str, str]]:
        """The host's driver files bound in read-only at their own paths (as the NVIDIA
        Container Toolkit does), so that every container has the module's version."""
        user_space = self.user_space()
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
