"""In-container facts through pytest-testinfra's modules (``File``, ``Group``, ``User``...).

testinfra's own docker backend shells out to the ``docker`` CLI with no deadline; this backend
runs each command through the engine SDK's exec instead (``execs.run``: coreutils ``timeout``
inside, the SDK socket's timeout outside), so every fact has a deadline like every other probe.
"""

from __future__ import annotations

from typing import Any

import testinfra.host
from docker.models.containers import Container
from testinfra.backend import base

from .engine import execs

FACT_TIMEOUT = 15.0


class SdkExecBackend(base.BaseBackend):  # type: ignore[misc]
    NAME = "seatcheck-sdk"

    def __init__(self, container: Container, user: str = "root") -> None:
        self.container = container
        self.user = user
        super().__init__(str(container.name or container.id))

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        cmd = self.get_command(command, *args)
        res = execs.run(
            self.container, ["/bin/sh", "-c", cmd], user=self.user, timeout=FACT_TIMEOUT
        )
        return self.result(
            res.exit_code, self.encode(cmd), res.stdout.encode(), res.stderr.encode()
        )

    def get_encoding(self) -> str:
        return "utf-8"  # the images need no python to answer


_hosts: dict[tuple[str, str], Any] = {}


def host_of(container: Container, user: str = "root") -> Any:
    """A testinfra ``Host`` whose modules read facts inside ``container`` (one per container
    and user: testinfra learns the system once and keeps it)."""
    key = (str(container.id), user)
    if key not in _hosts:
        _hosts[key] = testinfra.host.Host(SdkExecBackend(container, user))
    return _hosts[key]
