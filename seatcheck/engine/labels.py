"""The labels on everything a run starts, the run identity they carry, and removal by them
(teardown, the watchdog and `seatcheck reap` all remove a run by its label)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import time

import docker.errors
from docker import DockerClient
from docker.models.volumes import Volume

from .. import roles

SESSION = "seatcheck.session"
ROLE = "seatcheck.role"
OWNER = "seatcheck.owner"
CREATED = "seatcheck.created"
# Volumes that outlive runs by design carry this; teardown and reaping leave them alone.
KEEP = "seatcheck.keep"

# The squid cache outlives runs by design; everything else of a run is removed at teardown.
SQUID_CACHE_VOLUME = "seatcheck-squid-cache"


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def seat_name(session: str, role: str) -> str:
    """The name of what a seat makes for ``role`` (a container, a network, a volume)."""
    return f"seatcheck-{session}-{role}"


def labels(session: str, role: str, keep: bool = False) -> dict[str, str]:
    found = {
        SESSION: session,
        ROLE: role,
        OWNER: owner(),
        CREATED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if keep:
        found[KEEP] = "true"
    return found


def owner() -> str:
    """Who made a resource: this host and process (a dead owner's resources can be reaped)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(value: str) -> bool | None:
    """Whether the owning process still runs; None where it is another host's."""
    host, _, pid = value.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def session_filter(session: str) -> dict[str, str | list[str] | bool]:
    """A Docker SDK filter for everything labelled with this session."""
    return {"label": [f"{SESSION}={session}"]}


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
    """Remove a session's containers, snapshot images, networks and volumes (those marked
    to be kept excepted)."""
    flt = session_filter(session)
    failed = remove_containers(client, session, stop_timeout)
    for net in client.networks.list(filters=flt):
        try:
            net.remove()
        except docker.errors.NotFound:
            pass
        except docker.errors.DockerException as exc:
            failed.append(f"network {net.name}: {exc}")
    for image in client.images.list(filters=flt):  # snapshots made during the run
        if (image.labels or {}).get(KEEP) == "true":
            continue
        try:
            client.images.remove(str(image.id), force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.DockerException as exc:
            failed.append(f"image {image.short_id}: {exc}")
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
    found += [f"image {i.short_id}" for i in client.images.list(filters=flt)
              if (i.labels or {}).get(KEEP) != "true"]  # fmt: skip
    return found


def kept_volume(volume: Volume) -> bool:
    """Volumes that outlive runs by design: the squid cache, a named common_tmp."""
    return (volume.attrs.get("Labels") or {}).get(KEEP) == "true" or (
        volume.name == SQUID_CACHE_VOLUME
    )
