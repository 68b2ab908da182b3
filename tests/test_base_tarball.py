"""The recipe's way to a base image: a rootfs tarball that must match its SHA-256."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from docker import DockerClient

from seatcheck import profile
from seatcheck.config import BaseSource, SeatConfig
from seatcheck.errors import ImageError, UsageError
from seatcheck.images import ImageBuilder, verify_tarball


def make_rootfs_tarball(path: Path, marker: bytes) -> str:
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("etc/seatcheck-marker")
        info.size = len(marker)
        tar.addfile(info, io.BytesIO(marker))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_matching_hash_passes(tmp_path: Path) -> None:
    tarball = tmp_path / "rootfs.tar"
    digest = make_rootfs_tarball(tarball, b"ok")
    verify_tarball(tarball, digest.upper())


def test_mismatch_names_expected_and_found(tmp_path: Path) -> None:
    tarball = tmp_path / "rootfs.tar"
    digest = make_rootfs_tarball(tarball, b"ok")
    wrong = "0" * 64
    with pytest.raises(ImageError, match=f"expected {wrong}, found {digest}"):
        verify_tarball(tarball, wrong)


def test_missing_tarball(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        verify_tarball(tmp_path / "nope.tar", "0" * 64)


def test_tarball_needs_a_hash(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs the SHA-256"):
        BaseSource(tarball=tmp_path / "rootfs.tar", sha256="abc")
    with pytest.raises(UsageError, match="without a base tarball"):
        BaseSource(sha256="0" * 64)


def test_tarball_is_imported_as_the_base(tmp_path: Path, client: DockerClient) -> None:
    tarball = tmp_path / "rootfs.tar"
    digest = make_rootfs_tarball(tarball, tmp_path.name.encode())
    config = SeatConfig(
        profile=profile.find("virtual"), base=BaseSource(tarball=tarball, sha256=digest)
    )
    tag = ImageBuilder(client, config, progress=print).base_image()
    try:
        assert tag == f"seatcheck/base:tar-{digest[:16]}"
        assert client.images.get(tag).id
    finally:
        client.images.remove(tag, force=True)


def test_tampered_tarball_is_refused_before_import(tmp_path: Path, client: DockerClient) -> None:
    tarball = tmp_path / "rootfs.tar"
    digest = make_rootfs_tarball(tarball, b"original")
    make_rootfs_tarball(tarball, b"tampered")
    config = SeatConfig(
        profile=profile.find("virtual"), base=BaseSource(tarball=tarball, sha256=digest)
    )
    with pytest.raises(ImageError, match="SHA-256 mismatch"):
        ImageBuilder(client, config, progress=print).base_image()
    assert not client.images.list(name=f"seatcheck/base:tar-{digest[:16]}")
