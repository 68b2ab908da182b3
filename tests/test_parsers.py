"""Unit tests of the probes' parsers, over recorded outputs in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatcheck.probes import gids, glx, net, selinux, x11

DATA = Path(__file__).parent / "data"


def test_glxinfo_llvmpipe() -> None:
    info = glx.parse_glxinfo((DATA / "glxinfo-llvmpipe.txt").read_text())
    assert info.direct_rendering and info.direct_rendering_text == "Yes"
    assert info.renderer == "llvmpipe (LLVM 15.0.6, 256 bits)"
    assert info.vendor == "Mesa/X.org"
    assert info.version == "4.5 (Core Profile) Mesa 22.3.6"  # the core profile line comes first
    assert info.accelerated is False
    assert info.device == "llvmpipe (LLVM 15.0.6, 256 bits)"
    assert "direct rendering: Yes" in info.lines


def test_glxinfo_nvidia_has_no_mesa_block() -> None:
    info = glx.parse_glxinfo((DATA / "glxinfo-nvidia.txt").read_text())
    assert info.vendor == "NVIDIA Corporation"
    assert info.accelerated is None
    assert info.version.endswith("535.183.01")


def test_glxinfo_indirect() -> None:
    info = glx.parse_glxinfo((DATA / "glxinfo-indirect.txt").read_text())
    assert not info.direct_rendering
    assert info.direct_rendering_text == "No (LIBGL_ALWAYS_INDIRECT set)"


def test_glxinfo_without_renderer_is_an_error() -> None:
    with pytest.raises(ValueError, match="no renderer"):
        glx.parse_glxinfo("Error: couldn't find RGB GLX visual or fbconfig\n")


def test_nvidia_module_version(tmp_path: Path) -> None:
    version = tmp_path / "version"
    version.write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC "
        "2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
    )
    assert glx.nvidia_module_version(str(version)) == "535.183.01"
    assert glx.nvidia_module_version(str(tmp_path / "none")) is None


def test_listening_ports() -> None:
    assert net.parse_listening_ports((DATA / "proc-net-tcp.txt").read_text()) == {6000, 4713}


def test_lxc_contexts() -> None:
    fedora = selinux.parse_lxc_contexts((DATA / "lxc_contexts-container-selinux.txt").read_text())
    assert fedora["file"] == "system_u:object_r:container_file_t:s0"
    assert fedora["ro_file"] == "system_u:object_r:container_ro_file_t:s0"
    debian = selinux.parse_lxc_contexts((DATA / "lxc_contexts-debian-refpolicy.txt").read_text())
    assert debian["file"] == "system_u:object_r:svirt_lxc_file_t:s0"


def test_expected_file_context_follows_the_policy(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("SELINUX=enforcing\nSELINUXTYPE=default\n")
    contexts = tmp_path / "default" / "contexts"
    contexts.mkdir(parents=True)
    (contexts / "lxc_contexts").write_text((DATA / "lxc_contexts-debian-refpolicy.txt").read_text())
    label, source = selinux.expected_file_context(tmp_path)
    assert label == "system_u:object_r:svirt_lxc_file_t:s0"
    assert source.endswith("default/contexts/lxc_contexts")
    fallback, why = selinux.expected_file_context(tmp_path / "nothing")
    assert fallback == selinux.DEFAULT_FILE_CONTEXT and "default" in why


def test_contexts_and_privacy() -> None:
    shared = selinux.parse_context("system_u:object_r:svirt_sandbox_file_t:s0\x00")
    private = selinux.parse_context("system_u:object_r:container_file_t:s0:c12,c34")
    assert shared and shared.type == "container_file_t" and shared.shared  # the alias
    assert private and not private.shared
    assert selinux.parse_context("garbage") is None


def test_process_label_problems() -> None:
    gnome = "system_u:system_r:container_t:s0:c1,c2"
    assert selinux.process_label_problems(gnome, "system_u:system_r:container_t:s0:c1,c2") == ""
    assert "differs" in selinux.process_label_problems(
        gnome, "system_u:system_r:container_t:s0:c7,c9"
    )
    assert "not a container type" in selinux.process_label_problems(
        gnome, "unconfined_u:unconfined_r:unconfined_t:s0:c1,c2"
    )
    assert "unreadable" in selinux.process_label_problems(gnome, "")


def test_selinux_mode(tmp_path: Path) -> None:
    assert selinux.mode(tmp_path / "absent") == "disabled"
    (tmp_path / "enforce").write_text("0")
    assert selinux.mode(tmp_path) == "permissive"
    (tmp_path / "enforce").write_text("1")
    assert selinux.mode(tmp_path) == "enforcing"


def test_getent_and_socket_stat() -> None:
    assert gids.parse_getent("audio:x:29:seat\nvideo:x:44:\nbad line\n") == {
        "audio": 29,
        "video": 44,
    }
    found = x11.parse_socket_stat("0 1777 1311 directory\n0 777 1312 socket\n")
    assert (found.dir_owner, found.dir_mode, found.socket_type, found.socket_inode) == (
        0,
        "1777",
        "socket",
        1312,
    )
    with pytest.raises(ValueError):
        x11.parse_socket_stat("stat: cannot statx\n")
