"""GLX: direct rendering on the renderer and driver the profile expects, in every container,
and the profile's GPU nodes open read-write as the seat user."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from seatcheck import roles
from seatcheck.probes import glx
from seatcheck.topology import Seat

from .common import SEAT_ROLES, Record, container_of


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_glx_direct_rendering_on_expected_renderer(
    seat: Seat, role: str, record_property: Record
) -> None:
    expect = seat.config.profile.glx
    where = f"in the {role} container"
    try:
        info = glx.glxinfo(container_of(seat, role), seat.config.seat_user)
    except ValueError as exc:
        pytest.fail(f"expected glxinfo to report a renderer {where}; found: {exc}")
    record_property("glxinfo", asdict(info))
    if expect.direct_rendering:
        assert info.direct_rendering, (
            f"expected direct rendering: Yes {where}; found {info.direct_rendering_text!r}"
        )
    forbidden = [f for f in expect.forbidden_renderers if f.lower() in info.renderer.lower()]
    assert not forbidden, (
        f"expected a renderer other than {', '.join(expect.forbidden_renderers)} {where}; "
        f"found {info.renderer!r}"
    )
    if expect.renderers:
        assert any(r.lower() in info.renderer.lower() for r in expect.renderers), (
            f"expected a renderer matching {' or '.join(expect.renderers)} {where}; "
            f"found {info.renderer!r}"
        )
    if expect.vendor:
        assert info.vendor == expect.vendor, (
            f"expected OpenGL vendor {expect.vendor!r} {where}; found {info.vendor!r}"
        )
        if expect.vendor == "NVIDIA Corporation":
            module = glx.nvidia_module_version()
            assert module and info.version.endswith(module), (
                f"expected the NVIDIA GL driver to match kernel module {module} {where}; "
                f"found version {info.version!r}"
            )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_glx_gpu_nodes_open_read_write(seat: Seat, role: str, record_property: Record) -> None:
    profile = seat.config.profile
    if not profile.gpu_devices:
        pytest.skip(f"the {profile.name} profile passes no GPU device nodes (no GPU needed)")
    container = container_of(seat, role)
    nodes = glx.expand_nodes(container, profile.gpu_devices)
    assert nodes, f"expected GPU nodes under {', '.join(profile.gpu_devices)}; found none"
    access = glx.open_read_write(container, seat.config.seat_user, nodes)
    record_property("gpu_nodes", [asdict(a) for a in access])
    failed = [a for a in access if not a.ok]
    assert not failed, (
        f"expected every GPU node to open read-write as {seat.config.seat_user} in {role}; "
        "found " + "; ".join(f"{a.path}: {a.error}" for a in failed)
    )
