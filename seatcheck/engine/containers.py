"""Creating containers as the seat needs them: labelled, with the capabilities this engine
knows (engines know different sets; what one refuses is dropped and remembered), and with
``systempaths=unconfined`` made into what the docker CLI makes of it."""

from __future__ import annotations

import re
from typing import Any

import docker.errors
from docker import DockerClient
from docker.models.containers import Container

from ..errors import SetupError

UNMASK_SYSTEM_PATHS = "systempaths=unconfined"
_UNKNOWN_CAP = re.compile(r'unknown capability: "?(?:CAP_)?([A-Z_]+)"?')


def create_container(client: DockerClient, kwargs: dict[str, Any]) -> Container:
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


class ContainerMaker:
    """Creates a run's containers; capabilities the engine refused once are not asked again."""

    def __init__(self, client: DockerClient) -> None:
        self.client = client
        self.unknown_caps: list[str] = []  # capabilities this engine does not know

    def create(self, role: str, kwargs: dict[str, Any]) -> Container:
        if "cap_add" in kwargs:
            kwargs["cap_add"] = [c for c in kwargs["cap_add"] if c not in self.unknown_caps]
        while True:
            try:
                return create_container(self.client, kwargs)
            except docker.errors.APIError as exc:
                unknown = _UNKNOWN_CAP.search(str(exc))
                caps = kwargs.get("cap_add") or []
                if unknown and unknown.group(1) in caps:
                    caps.remove(unknown.group(1))
                    self.unknown_caps.append(unknown.group(1))
                    continue
                raise SetupError(role, f"the engine refused the container: {exc}") from None


def refuse_volume_in_use(client: DockerClient, name: str, role: str, advice: str) -> None:
    """A volume a running container holds is not taken for a new seat."""
    users = client.containers.list(filters={"volume": name})
    if users:
        names = ", ".join(str(c.name or c.id) for c in users)
        raise SetupError(role, f"volume {name} is in use by running container(s) {names}: {advice}")
