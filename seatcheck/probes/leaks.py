"""Where a secret's bytes are found, as they are or in the encodings credential stores write
(base64 at any alignment, hex): files under host paths (a container's writable layer, its
volumes, an image's layers, a report folder), a container's environment and labels, and the
environments of its running processes. Only measures."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from docker.models.containers import Container
from docker.models.images import Image

from ..errors import ProbeError

CHUNK = 1 << 20


@dataclass
class Scan:
    """What a scan read and where it found the bytes."""

    places: int = 0  # layers, folders, environments scanned
    files: int = 0
    bytes_read: int = 0
    found: list[str] = field(default_factory=list)


def _base64_inside(token: bytes, offset: int, alphabet: bytes | None) -> bytes:
    """The base64 characters that ``token`` alone decides when it starts ``offset`` bytes
    into an encoded stream (the ones its neighbours share are left out)."""
    encoded = base64.b64encode(b"\0" * offset + token, altchars=alphabet).rstrip(b"=")
    first = -(-8 * offset // 6)  # the first character with no bit of the bytes before it
    last = 8 * (offset + len(token)) // 6  # past the last one with no bit of the bytes after
    return encoded[first:last]


@dataclass(frozen=True)
class Needles:
    """A secret and the forms it takes when written by a tool: as it is, hex, and base64
    (standard and URL-safe) at each of the three alignments."""

    forms: dict[str, bytes]

    @classmethod
    def of(cls, token: bytes) -> Needles:
        forms = {"as is": token, "hex": token.hex().encode(), "HEX": token.hex().upper().encode()}
        for offset in range(3):
            forms[f"base64/{offset}"] = _base64_inside(token, offset, None)
            forms[f"base64url/{offset}"] = _base64_inside(token, offset, b"-_")
        return cls(forms)

    @cached_property
    def _pattern(self) -> re.Pattern[bytes]:
        unique = sorted(set(self.forms.values()), key=len, reverse=True)
        return re.compile(b"|".join(re.escape(v) for v in unique))

    @property
    def longest(self) -> int:
        return max(len(v) for v in self.forms.values())

    def find(self, data: bytes) -> str:
        """The form found in ``data`` ('' if none)."""
        match = self._pattern.search(data)
        if not match:
            return ""
        return next(name for name, v in self.forms.items() if v == match.group(0))


def _needles(needle: bytes | Needles) -> Needles:
    return needle if isinstance(needle, Needles) else Needles({"as is": needle})


def file_holds(path: Path, needle: bytes | Needles) -> tuple[str, int]:
    """The form of ``needle`` the file holds ('' if none), and the bytes read (in chunks that
    overlap by the longest form)."""
    needles = _needles(needle)
    read, tail = 0, b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                read += len(chunk)
                form = needles.find(tail + chunk)
                if form:
                    return form, read
                tail = chunk[-needles.longest :]
    except OSError:
        return "", read
    return "", read


def scan_tree(root: Path, needle: bytes | Needles, scan: Scan, label: str) -> None:
    """Every regular file under ``root`` (symlinks not followed)."""
    if not root.is_dir():
        raise ProbeError(f"cannot scan {label}: {root} is not a folder")
    scan.places += 1
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if not path.is_file() or path.is_symlink():
                continue
            scan.files += 1
            form, read = file_holds(path, needle)
            scan.bytes_read += read
            if form:
                where = f"{label}: {path.relative_to(root)}"
                scan.found.append(where if form == "as is" else f"{where} ({form})")


def writable_layer(container: Container) -> Path:
    """The container's own writable layer on the host (overlay2's UpperDir)."""
    container.reload()
    data = container.attrs.get("GraphDriver", {}).get("Data") or {}
    upper = data.get("UpperDir")
    if not upper:
        raise ProbeError(f"{container.name}: the engine names no writable layer (not overlay2)")
    return Path(upper)


def image_layers(image: Image) -> list[Path]:
    """An image's layers on the host (overlay2's UpperDir and LowerDir), top first."""
    data = image.attrs.get("GraphDriver", {}).get("Data") or {}
    layers = [data.get("UpperDir", ""), *str(data.get("LowerDir", "")).split(":")]
    return [Path(p) for p in layers if p]


def config_holds(container: Container, needle: bytes | Needles) -> list[str]:
    """Where the container's environment, labels or command carry the bytes."""
    container.reload()
    config = container.attrs.get("Config", {})
    needles = _needles(needle)
    places: Iterable[tuple[str, object]] = [
        ("environment", config.get("Env") or []),
        ("labels", config.get("Labels") or {}),
        ("command", config.get("Cmd") or []),
    ]
    return [where for where, value in places if needles.find(str(value).encode())]


def volumes_of(container: Container, leave_out: tuple[str, ...] = ()) -> dict[str, Path]:
    """The engine's volumes the container mounts (named and anonymous, an image's VOLUME
    among them), by name, with their folders on the host; bind mounts are not volumes."""
    container.reload()
    return {
        str(m.get("Name")): Path(str(m["Source"]))
        for m in container.attrs.get("Mounts") or []
        if m.get("Type") == "volume" and m.get("Source") and m.get("Name") not in leave_out
    }


def processes_hold(pids: list[int], needle: bytes | Needles) -> list[str]:
    """The processes (pid and program) whose environment or arguments hold the bytes, in any
    form."""
    needles = _needles(needle)
    found = []
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        program = arguments.split(b"\0")[0].decode(errors="replace")
        for where, data in (("environment", environ), ("arguments", arguments)):
            form = needles.find(data)
            if form:
                found.append(
                    f"pid {pid} ({program})'s {where}" + ("" if form == "as is" else f" ({form})")
                )
    return found
