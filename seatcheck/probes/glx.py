"""GLX: what a GL client in a container really gets (``glxinfo -B``), and device-node access."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docker.models.containers import Container

from ..engine import execs
from ..errors import ProbeError

DISPLAY_ENV = {"DISPLAY": ":0"}


@dataclass(frozen=True)
class GlxInfo:
    direct_rendering: bool
    direct_rendering_text: str  # "Yes", or "No (reason)"
    vendor: str  # OpenGL vendor string
    renderer: str  # OpenGL renderer string
    version: str  # OpenGL (core profile) version string
    accelerated: bool | None  # GLX_MESA_query_renderer's "Accelerated:", None when absent
    device: str  # GLX_MESA_query_renderer's "Device:" line
    lines: tuple[str, ...]  # the glxinfo lines the above came from, for the report


_FIELDS = {
    "direct rendering": "direct_rendering_text",
    "OpenGL vendor string": "vendor",
    "OpenGL renderer string": "renderer",
    "OpenGL core profile version string": "version",
    "OpenGL version string": "version",
    "Accelerated": "accelerated",
    "Device": "device",
}


def parse_glxinfo(text: str) -> GlxInfo:
    """Parse ``glxinfo -B`` output; raises ProbeError when it has no renderer at all."""
    values: dict[str, str] = {}
    kept: list[str] = []
    for raw in text.splitlines():
        key, sep, value = raw.strip().partition(":")
        field = _FIELDS.get(key.strip())
        if not sep or field is None:
            continue
        kept.append(raw.strip())
        values.setdefault(field, value.strip())
    if "renderer" not in values or "direct_rendering_text" not in values:
        raise ProbeError("glxinfo printed no renderer: " + " | ".join(text.splitlines()[-3:]))
    accel = values.get("accelerated")
    return GlxInfo(
        direct_rendering=values["direct_rendering_text"].startswith("Yes"),
        direct_rendering_text=values["direct_rendering_text"],
        vendor=values.get("vendor", ""),
        renderer=values["renderer"],
        version=values.get("version", ""),
        accelerated=None if accel is None else accel.lower().startswith("yes"),
        device=re.sub(r"\s*\(0x[0-9a-f]+\)$", "", values.get("device", "")),
        lines=tuple(kept),
    )


def glxinfo(container: Container, user: str, env: dict[str, str] | None = None) -> GlxInfo:
    environment = {**DISPLAY_ENV, **(env or {})}
    result = execs.run(container, ["glxinfo", "-B"], user=user, environment=environment)
    if not result.ok:
        raise ProbeError(f"glxinfo failed in {container.name}: {result.describe()}")
    return parse_glxinfo(result.stdout)


# How a GL client asks for the other GPU of a hybrid machine (PRIME render offload).
OFFLOAD_ENV = {
    "nvidia": {"__NV_PRIME_RENDER_OFFLOAD": "1", "__GLX_VENDOR_LIBRARY_NAME": "nvidia"},
    "mesa": {"DRI_PRIME": "1"},  # Intel, AMD: Mesa picks the non-default GPU
}


@dataclass(frozen=True)
class NodeAccess:
    path: str
    ok: bool
    error: str

    @property
    def verdict(self) -> str:
        """ "ok"; "permission denied" (the node's mode and groups refuse the user); "no device"
        (the node opens past its permissions but no driver answers: ENXIO or ENODEV); or the
        error as the shell gave it."""
        if self.ok:
            return "ok"
        if "Permission denied" in self.error:
            return "permission denied"
        if "No such device" in self.error:  # ENXIO "...or address", ENODEV
            return "no device"
        return self.error


def open_read_write(container: Container, user: str, paths: list[str]) -> list[NodeAccess]:
    """Open each device node read-write as ``user`` inside the container (no data moved)."""
    script = (
        'for p in "$@"; do if err=$( (exec 3<>"$p") 2>&1 ); then echo "ok $p"; '
        'else echo "fail $p $err"; fi; done'
    )
    result = execs.check(container, ["bash", "-c", script, "open", *paths], user=user)
    found = []
    for line in result.stdout.splitlines():
        status, _, rest = line.partition(" ")
        path, _, error = rest.partition(" ")
        found.append(NodeAccess(path, status == "ok", error.strip()))
    return found


@dataclass(frozen=True)
class NodeListing:
    """The device nodes a container has under the paths asked for, and the paths it lacks."""

    nodes: list[str]
    absent: list[str]


def expand_nodes(container: Container, paths: tuple[str, ...]) -> NodeListing:
    """Device nodes under the given paths (a directory like /dev/dri stands for its nodes),
    and the paths that do not exist in the container at all."""
    if not paths:
        return NodeListing([], [])
    script = (
        'for p in "$@"; do if [ -e "$p" ]; then '
        'find "$p" \\( -type c -o -type b \\) -print; else echo "absent $p"; fi; done'
    )
    result = execs.check(container, ["sh", "-c", script, "sh", *paths])
    lines = result.stdout.split("\n")
    absent = [line.removeprefix("absent ") for line in lines if line.startswith("absent ")]
    nodes = [line for line in lines if line.startswith("/")]
    return NodeListing(sorted(nodes), absent)
