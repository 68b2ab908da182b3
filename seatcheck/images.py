"""Images without a registry: a debootstrapped base, and one image per role.

The base image comes from debootstrap plus ``docker import`` (the default), from a
root-filesystem tarball checked against its SHA-256 (the recipe's way), or from a plain
image name (where a registry is reachable). Role images are built from ``dockerfiles/``;
each carries the hash of its recipe in a label and is rebuilt only when the recipe changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient

from . import cache, engine, roles
from .cache import BuildRecord, CacheAccess
from .config import BaseSource, SeatConfig
from .errors import ImageError, SetupError
from .probes import gids

Progress = Callable[[str], None]
BuildHook = Callable[[str, dict[str, Any]], None]
RECIPE_LABEL = "seatcheck.recipe"
APPBASE = "appbase"  # an internal layer under every app image, not a role of its own
LOG_TAIL = 20


def default_tag(role: str, prefix: str = "seatcheck") -> str:
    return f"{prefix}/{role}:latest"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_tarball(path: Path, expected: str) -> None:
    """Refuse a base tarball whose SHA-256 is not the one given."""
    if not path.is_file():
        raise ImageError(f"base tarball {path} does not exist")
    found = sha256_file(path)
    if found.lower() != expected.lower():
        raise ImageError(
            f"base tarball {path}: SHA-256 mismatch: expected {expected.lower()}, found {found}"
        )


DEVICE_GIDS_ENV = "SEATCHECK_DEVICE_GIDS"


def device_group_args() -> dict[str, str]:
    """The host's audio, video and render GIDs as build arguments: device nodes bound into a
    container keep the host's numeric group, so the image's groups must have those numbers
    (render is dynamic on Debian and Fedora alike; where the host has none, the image adds
    none). Part of the recipe hash: another machine's GIDs build other images."""
    pinned = os.environ.get(DEVICE_GIDS_ENV)
    if pinned:  # the images were built elsewhere for this machine (seatcheck vm's disk)
        return dict(json.loads(pinned))
    found = gids.host_group_gids(("audio", "video", "render"))
    return {f"{name.upper()}_GID": str(gid) for name, gid in found.items()}


def recipe_hash(context: Path, args: dict[str, str]) -> str:
    """A hash over every file of a build context and the build arguments."""
    digest = hashlib.sha256(json.dumps(args, sort_keys=True).encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class _Ticker:
    """Streams build output as progress: every step line, and a heartbeat between them."""

    def __init__(self, role: str, progress: Progress, every: float = 10.0) -> None:
        self.role, self.progress, self.every = role, progress, every
        self.tail: deque[str] = deque(maxlen=LOG_TAIL)
        self.last = time.monotonic()
        self.lines = 0
        self.fetches = 0  # files apt or debootstrap fetched from a mirror
        self.fetch_seconds = 0  # how long apt says it spent fetching them

    def feed(self, text: str) -> None:
        for line in text.splitlines():
            line = line.rstrip()
            if not line:
                continue
            self.tail.append(line)
            self.lines += 1
            self.fetches += cache.apt_fetches(line) + line.startswith("I: Retrieving ")
            self.fetch_seconds += cache.apt_fetch_seconds(line)
            now = time.monotonic()
            if line.startswith(("Step ", "I: Base system", "I: Retrieving Release")) or (
                now - self.last >= self.every
            ):
                self.progress(f"[{self.role}] {line[:160]}")
                self.last = now

    def log(self) -> str:
        return "\n".join(self.tail)


class ImageBuilder:
    """Resolves each role to an image, building what is missing or out of date.

    ``cache`` (set once the seat's squid answers) routes builds through the package cache and
    gives each build's record its hits; ``before_build`` may adjust a build's arguments.
    ``force`` rebuilds even up-to-date images and ``nocache`` skips the engine's layer cache
    (the cache benchmark uses both, with its own ``tag_prefix``).
    """

    def __init__(
        self,
        client: DockerClient,
        config: SeatConfig,
        progress: Progress,
        *,
        tag_prefix: str = "seatcheck",
        force: bool = False,
        nocache: bool = False,
    ) -> None:
        self.client = client
        self.config = config
        self.progress = progress
        self.tag_prefix = tag_prefix
        self.force = force
        self.nocache = nocache
        self.cache: CacheAccess | None = None
        self.before_build: BuildHook | None = None
        self.records: list[BuildRecord] = []  # the builds made by this builder
        self._resolved: dict[str, str] = {}

    # -- the base image ------------------------------------------------------------------
    def base_image(self) -> str:
        if "base" not in self._resolved:
            self._resolved["base"] = self._make_base(self.config.base)
        return self._resolved["base"]

    def _has(self, ref: str) -> bool:
        try:
            self.client.images.get(ref)
            return True
        except docker.errors.ImageNotFound:
            return False

    def _make_base(self, base: BaseSource) -> str:
        if base.image:
            return self._present_or_pull(base.image, "base")
        if base.tarball:
            verify_tarball(base.tarball, base.sha256)
            tag = f"{self.tag_prefix}/base:tar-{base.sha256.lower()[:16]}"
            if not self._has(tag):
                self.progress(f"[base] importing {base.tarball} (SHA-256 verified)")
                self._import(base.tarball, tag)
            return tag
        recipe = {"suite": base.suite, "mirror": base.mirror, "variant": "minbase"}
        tag = (
            f"{self.tag_prefix}/base:deb-"
            + hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
        )
        if self._has(tag) and not self.force:
            return tag
        engine.ensure_host_packages({"debootstrap": "debootstrap"})
        started, mark = time.monotonic(), self._cache_mark()
        proxy = self.cache.proxy() if self.cache else None
        env = dict(os.environ, **(proxy.environment() if proxy else {}))
        with tempfile.TemporaryDirectory(prefix="seatcheck-base-", dir="/var/tmp") as tmp:
            rootfs = Path(tmp) / "rootfs"
            ticker = _Ticker("base", self.progress)
            via = f" through {proxy.url}" if proxy else ""
            self.progress(f"[base] debootstrap {base.suite} from {base.mirror}{via}")
            cmd = ["debootstrap", "--variant=minbase", base.suite, str(rootfs), base.mirror]
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                ticker.feed(line)
            if proc.wait(timeout=1800) != 0:
                raise SetupError("base", "debootstrap failed", ticker.log())
            tarball = Path(tmp) / "rootfs.tar"
            subprocess.run(
                ["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True, timeout=600
            )
            self._import(tarball, tag)
        self.progress(f"[base] imported as {tag}")
        self._record("base", tag, started, mark, proxy, ticker)
        return tag

    def _import(self, tarball: Path, tag: str) -> None:
        repo, _, version = tag.partition(":")
        answer = self.client.api.import_image_from_file(
            str(tarball), repository=repo, tag=version, changes=['CMD ["/bin/bash"]']
        )
        if not self._has(tag):
            # Podman 4.3's import names the image <repo>:latest whatever tag is asked for:
            # the image it made is tagged here, by the id its answer names.
            made = re.findall(r"sha256:[0-9a-f]{64}", str(answer))
            if made:
                self.client.images.get(made[-1]).tag(repo, version)
        if not self._has(tag):
            raise ImageError(f"importing {tarball} did not produce {tag}")

    def _present_or_pull(self, ref: str, role: str) -> str:
        if self._has(ref):
            return ref
        try:
            self.progress(f"[{role}] {ref} is not present: trying to pull it")
            self.client.images.pull(ref)
        except docker.errors.DockerException as exc:
            raise ImageError(
                f"image {ref!r} for role {role} is not present and cannot be pulled: "
                f"{str(exc).splitlines()[0][:200]}"
            ) from None
        return ref

    # -- role images ---------------------------------------------------------------------
    def role_image(self, role: str) -> str:
        """The image reference this run uses for ``role``, building it if needed."""
        if role in self._resolved:
            return self._resolved[role]
        override = self.config.image_overrides.get(role)
        if override:
            ref = self._present_or_pull(override, role)
        else:
            base = self.role_image(APPBASE) if role in roles.APP_ROLES else self.base_image()
            ref = self._build(role, base)
        self._resolved[role] = ref
        return ref

    def _build(self, role: str, base: str) -> str:
        context = self.config.dockerfiles / role
        if not (context / "Dockerfile").is_file():
            raise SetupError(role, f"no Dockerfile in {context}")
        base_id = str(self.client.images.get(base).id)
        args = {
            "BASE": base,
            "SEAT_USER": self.config.seat_user,
            "SEAT_UID": str(self.config.seat_uid),
            **device_group_args(),
        }
        wanted = recipe_hash(context, {**args, "base_id": base_id})
        tag = default_tag(role, self.tag_prefix)
        try:
            labels = self.client.images.get(tag).labels or {}
            if labels.get(RECIPE_LABEL) == wanted and not self.force:
                return tag
        except docker.errors.ImageNotFound:
            pass
        proxy = self.cache.proxy() if self.cache else None
        kwargs: dict[str, Any] = {
            "path": str(context),
            "tag": tag,
            "buildargs": {**args, **(proxy.build_args() if proxy else {})},
            "labels": {RECIPE_LABEL: wanted},
            "rm": True,
            "forcerm": True,
            "decode": True,
            "pull": False,
            "nocache": self.nocache,
        }
        if proxy:
            kwargs["network_mode"] = proxy.network  # the steps join the seat network
        if self.before_build:
            self.before_build(role, kwargs)
        via = f" through {proxy.url}" if "http_proxy" in kwargs["buildargs"] and proxy else ""
        self.progress(f"[{role}] building {tag} from {context}{via}")
        ticker = _Ticker(role, self.progress)
        started, mark = time.monotonic(), self._cache_mark()
        stream: Any = self.client.api.build(**kwargs)
        for chunk in stream:
            if "stream" in chunk:
                ticker.feed(chunk["stream"])
            if "error" in chunk:
                ticker.feed(chunk["error"])
                raise SetupError(role, "image build failed", ticker.log())
        self.progress(f"[{role}] built {tag} in {time.monotonic() - started:.0f}s")
        used = kwargs["buildargs"].get("http_proxy")
        self._record(role, tag, started, mark, proxy if used else None, ticker)
        return tag

    # -- what the package cache did for each build ---------------------------------------
    def _cache_mark(self) -> int | None:
        return self.cache.mark() if self.cache else None

    def _record(
        self, role: str, tag: str, started: float, mark: int | None,
        proxy: cache.BuildProxy | None, ticker: _Ticker,
    ) -> None:  # fmt: skip
        seconds = time.monotonic() - started
        stats = self.cache.stats_since(mark) if self.cache and mark is not None else None
        record = BuildRecord(
            role=role, tag=tag, image_id=self.digest(tag),
            started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds)),
            seconds=round(seconds, 1), proxy=proxy.url if proxy else None,
            apt_fetches=ticker.fetches, apt_fetch_seconds=ticker.fetch_seconds,
            cache=stats.as_dict() if stats else {}, run_id=self.config.run_id,
            cache_running=self.cache is not None,
        )  # fmt: skip
        self.records.append(record)
        try:
            cache.save_record(record)
        except OSError as exc:
            self.progress(f"[{role}] could not keep the build record: {exc}")
        if record.proxy:
            self.progress(f"[{role}] package cache: {stats.describe() if stats else 'unknown'}")

    def digest(self, ref: str) -> str:
        image = self.client.images.get(ref)
        return str(image.id)
