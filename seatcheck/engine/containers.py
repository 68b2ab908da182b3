"""Creating containers as the seat needs them: labelled, with the capabilities this engine
knows (engines know different sets; what one refuses is dropped and remembered), and with
``systempaths=unconfined`` made into what the docker CLI makes of it."""

from __future__ import annotations

import contextlib
import re
import resource
from pathlib import Path
from typing import Any

import docker.errors
import docker.types
from docker import DockerClient
from docker.models.containers import Container

from ..errors import SetupError
from . import engine_name

UNMASK_SYSTEM_PATHS = "systempaths=unconfined"
PODMAN_UNMASK = "unmask=ALL"
_UNKNOWN_CAP = re.compile(r'unknown capability: "?(?:CAP_)?([A-Z_]+)"?')


def create_container(
    client: DockerClient, kwargs: dict[str, Any], podman: bool = False
) -> Container:
    """``containers.create``, where ``systempaths=unconfined`` among the security options
    becomes what the docker CLI makes of it: empty MaskedPaths and ReadonlyPaths in the host
    config (the engine rejects it as a security option, and the SDK has no parameter for it)."""
    options = kwargs.get("security_opt") or []
    if UNMASK_SYSTEM_PATHS not in options:
        return client.containers.create(**kwargs)
    if podman:  # podman leaves MaskedPaths: [] masked; its own option unmasks them
        others = [o for o in options if o != UNMASK_SYSTEM_PATHS]
        return client.containers.create(**dict(kwargs, security_opt=[*others, PODMAN_UNMASK]))
    # The SDK's own translation of create()'s keywords (private, unchanged since docker 2.0).
    from docker.models.containers import _create_container_args  # type: ignore[attr-defined]

    args = dict(kwargs, security_opt=[o for o in options if o != UNMASK_SYSTEM_PATHS])
    args["version"] = client.api.api_version
    create = _create_container_args(args)
    create["host_config"].update(MaskedPaths=[], ReadonlyPaths=[])
    return client.containers.get(client.api.create_container(**create)["Id"])


class ContainerMaker:
    """Creates a run's containers; capabilities the engine refused once are not asked again."""

    def __init__(self, client: DockerClient) -> None:
        self.client = client
        self.unknown_caps: list[str] = []  # capabilities this engine does not know
        self.podman = engine_name(client) == "podman"

    def create(self, role: str, kwargs: dict[str, Any]) -> Container:
        if self.podman and "ulimits" not in kwargs:
            kwargs["ulimits"] = inherited_limits()
        if "cap_add" in kwargs:
            kwargs["cap_add"] = [c for c in kwargs["cap_add"] if c not in self.unknown_caps]
        while True:
            try:
                return create_container(self.client, kwargs, self.podman)
            except docker.errors.APIError as exc:
                unknown = _UNKNOWN_CAP.search(str(exc))
                caps = kwargs.get("cap_add") or []
                if unknown and unknown.group(1) in caps:
                    caps.remove(unknown.group(1))
                    self.unknown_caps.append(unknown.group(1))
                    continue
                raise SetupError(role, f"the engine refused the container: {exc}") from None


_LIMIT = re.compile(r"^Max (open files|processes)\s+(\d+)\s+(\d+)", re.M)
_LIMIT_NAMES = {"open files": "nofile", "processes": "nproc"}


def inherited_limits(proc: Path = Path("/proc")) -> list[docker.types.Ulimit]:
    """The open-file and process limits of the Podman service on this host (else this
    process's own), for a Podman container: Podman raises them to 1048576 and 4194304, which
    its runtime, holding the service's limits, cannot do on a host that cannot grant
    CAP_SYS_RESOURCE (runc: "error setting rlimit type 7: operation not permitted"); Docker's
    containers keep dockerd's."""
    found: dict[str, tuple[int, int]] = {}
    for cmdline in proc.glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            words = cmdline.read_bytes().split(b"\0")
            if words[0].endswith(b"podman") and b"system" in words and b"service" in words:
                text = (cmdline.parent / "limits").read_text()
                found = {_LIMIT_NAMES[m[1]]: (int(m[2]), int(m[3])) for m in _LIMIT.finditer(text)}
                break
    if not found:
        found["nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)
        soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        if hard != resource.RLIM_INFINITY:
            found["nproc"] = (soft, hard)
    return [docker.types.Ulimit(name=n, soft=s, hard=h) for n, (s, h) in sorted(found.items())]


def refuse_volume_in_use(client: DockerClient, name: str, role: str, advice: str) -> None:
    """A volume a running container holds is not taken for a new seat."""
    users = client.containers.list(filters={"volume": name})
    if users:
        names = ", ".join(str(c.name or c.id) for c in users)
        raise SetupError(role, f"volume {name} is in use by running container(s) {names}: {advice}")
