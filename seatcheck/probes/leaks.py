"""Where a secret's bytes are found: files under host paths (a container's writable layer, an
image's layers, a report folder), a container's environment and labels. Only measures."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
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


def file_holds(path: Path, needle: bytes) -> tuple[bool, int]:
    """Whether the file holds ``needle`` (read in chunks that overlap by its length)."""
    read, tail = 0, b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                read += len(chunk)
                if needle in tail + chunk:
                    return True, read
                tail = chunk[-len(needle) :]
    except OSError:
        return False, read
    return False, read


def scan_tree(root: Path, needle: bytes, scan: Scan, label: str) -> None:
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
            hit, read = file_holds(path, needle)
            scan.bytes_read += read
            if hit:
                scan.found.append(f"{label}: {path.relative_to(root)}")


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


def config_holds(container: Container, needle: bytes) -> list[str]:
    """Where the container's environment, labels or command carry the bytes."""
    container.reload()
    config = container.attrs.get("Config", {})
    text = needle.decode(errors="replace")
    places: Iterable[tuple[str, object]] = [
        ("environment", config.get("Env") or []),
        ("labels", config.get("Labels") or {}),
        ("command", config.get("Cmd") or []),
    ]
    return [where for where, value in places if text in str(value)]
