"""GLX: direct rendering on the renderer and driver the profile expects, in every container,
and the profile's GPU nodes open read-write as the seat user."""

from __future__ import annotations

import contextlib
from dataclasses import asdict

import pytest

from seatcheck import drivers, machine, nvidia, roles
from seatcheck import profile as profile_module
from seatcheck.engine import execs
from seatcheck.errors import ProbeError
from seatcheck.probes import chrome, glx, proc, vlc
from seatcheck.profile import renderer_problem
from seatcheck.topology import Seat
from seatcheck.waits import WaitTimeout, wait_for

from .common import SEAT_ROLES, Present, Record, app_of, container_of

pytestmark = pytest.mark.family("glx")


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_glx_direct_rendering_on_expected_renderer(
    seat: Seat, role: str, record_property: Record
) -> None:
    """glxinfo -B, run as the seat user, reports direct rendering (where the profile expects
    it), a renderer the profile names and none it forbids, the vendor it expects and, on NVIDIA,
    a GL version of the loaded kernel module. Not looked at: EGL, Vulkan and GLES (glxinfo asks
    GLX alone), what a program draws (the pixel checks look), and the image's own USER (the seat
    user alone)."""
    expect = seat.config.profile.glx
    where = f"in the {role} container"
    try:
        info = glx.glxinfo(container_of(seat, role), seat.config.seat_user)
    except ProbeError as exc:
        pytest.fail(f"expected glxinfo to report a renderer {where}; found: {exc}")
    record_property("glxinfo", asdict(info))
    if expect.direct_rendering:
        assert info.direct_rendering, (
            f"expected direct rendering: Yes {where}; found {info.direct_rendering_text!r}"
        )
    problem = renderer_problem(info.renderer, expect.renderers, expect.forbidden_renderers, where)
    assert not problem, problem
    if expect.vendor:
        assert info.vendor == expect.vendor, (
            f"expected OpenGL vendor {expect.vendor!r} {where}; found {info.vendor!r}"
        )
        if expect.vendor == "NVIDIA Corporation":
            module = machine.nvidia_module_version()
            assert module and info.version.endswith(module), (
                f"expected the NVIDIA GL driver to match kernel module {module} {where}; "
                f"found version {info.version!r}"
            )


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_glx_gpu_nodes_open_read_write(seat: Seat, role: str, record_property: Record) -> None:
    """Each GPU node the profile passes opens read-write as the seat user in each app container.
    Not looked at: the gnome container, any use of a node past its open (no ioctl, no data
    moved), and the image's own USER (the seat user alone)."""
    profile = seat.config.profile
    if not profile.gpu_devices:
        pytest.skip(f"the {profile.name} profile passes no GPU device nodes (no GPU needed)")
    container = container_of(seat, role)
    listing = glx.expand_nodes(container, profile.gpu_devices)
    assert not listing.absent, (
        f"expected every GPU node the profile passes in {role}; found no "
        f"{', '.join(listing.absent)} there"
    )
    nodes = listing.nodes
    assert nodes, f"expected GPU nodes under {', '.join(profile.gpu_devices)}; found none"
    access = glx.open_read_write(container, seat.config.seat_user, nodes)
    record_property("gpu_nodes", [asdict(a) for a in access])
    failed = [a for a in access if not a.ok]
    assert not failed, (
        f"expected every GPU node to open read-write as {seat.config.seat_user} in {role}; "
        "found " + "; ".join(f"{a.path}: {a.error}" for a in failed)
    )


def test_glx_chrome_reports_expected_renderer(
    seat: Seat, presentation: Present, record_property: Record
) -> None:
    """Chromium's own GPU state through DevTools: the renderer the profile expects, not its
    software fallback named anywhere in that state, GPU compositing on, rastering and
    compositing on GL (or on Vulkan only where the machine has a Vulkan device); and what a
    web page gets: a WebGL and a WebGL2 context on that renderer. Not looked at: WebGPU,
    and video decode."""
    expect = seat.config.profile.chrome
    shown = presentation(roles.CHROME)  # chromium with its DevTools port on the loopback
    pid = proc.pid_of(app_of(seat, roles.CHROME))
    try:
        gpu = wait_for(lambda: chrome.gpu_info(pid), 30, "chromium's DevTools answer")
        page = wait_for(lambda: chrome.page_webgl(pid, shown.title), 30, "the page's WebGL")
    except WaitTimeout as exc:
        pytest.fail(f"expected chromium to answer SystemInfo.getInfo and its page; found {exc}")
    record_property("chrome_gpu", {**asdict(gpu), "page_webgl": page})
    where = "in chromium's own GPU state"
    problem = renderer_problem(gpu.gl_renderer, expect.renderers, expect.forbidden_renderers, where)
    assert not problem, problem
    assert not gpu.software_rendering and not gpu.software_named, (
        f"expected chromium to render on the seat's GL; found its software fallback "
        f"{gpu.gl_renderer!r} {'; '.join(gpu.software_named)}"
    )
    # chromium calls its own SwiftShader Vulkan "hardware" too (hardwareSupportsVulkan is
    # true on it): a Vulkan backend counts only where the container has a Vulkan driver of
    # the machine's (an ICD in the loader's folders; chromium's own sits in /usr/lib/chromium).
    icds = execs.shell(
        app_of(seat, roles.CHROME),
        "ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | grep '\\.json$' || true",
        timeout=15,
    ).stdout.split()
    record_property("vulkan_drivers", icds)
    on_vulkan = "vulkan" in gpu.skia_backend.lower()
    assert gpu.skia_backend not in ("", "None") and not (on_vulkan and not icds), (
        "expected chromium to raster and composite on the seat's GL (or a Vulkan driver of "
        f"the machine's); found Skia backend {gpu.skia_backend or 'unnamed'!r} with "
        + (f"the Vulkan drivers {icds}" if icds else "no Vulkan driver of the machine's")
    )
    for kind in ("webgl", "webgl2"):
        got = page.get(kind)
        assert got, f"expected a {kind} context for a web page in chromium; found {got!r}"
        problem = renderer_problem(
            got, expect.renderers, (*expect.forbidden_renderers, *chrome.SOFTWARE_MARKERS),
            f"in a page's {kind} context",
        )  # fmt: skip
        assert not problem, problem
    if expect.gpu_compositing:
        # Compositing, rasterization and the 2D canvas: each can go to software alone.
        off = {
            feature: gpu.feature_status.get(feature, "missing")
            for feature in ("gpu_compositing", "rasterization", "2d_canvas")
            if not gpu.feature_status.get(feature, "missing").startswith("enabled")
        }
        assert not off, (
            "expected chromium's gpu_compositing, rasterization and 2d_canvas enabled; found "
            + ", ".join(f"{k} {v!r}" for k, v in off.items())
        )


def test_glx_vlc_video_through_its_opengl_output(
    seat: Seat, presentation: Present, record_property: Record
) -> None:
    """VLC's own account of its video path (its debug log): the OpenGL video output on a GL
    provider, which is what the clip's colour on screen went through. Not looked at: the output
    VLC picks by itself (it is started with --vout=gl), and hardware video decode."""
    shown = presentation(roles.VLC)
    driver = drivers.driver_for(roles.VLC, app_of(seat, roles.VLC), seat.config.seat_user)
    seen: list[vlc.VlcVideo] = []

    def using_gl() -> bool:
        seen.append(vlc.parse_log(driver.full_log(shown.title)))
        return bool(seen[-1].vout and seen[-1].opengl)

    with contextlib.suppress(WaitTimeout):
        wait_for(using_gl, 30, "VLC's video output")
    video = seen[-1] if seen else vlc.VlcVideo("", "", "", ())
    record_property("vlc_video", asdict(video))
    assert video.vout == "gl" and video.opengl, (
        "expected VLC to show its clip through its OpenGL video output (vout display 'gl' on "
        f"an OpenGL module); found vout {video.vout or 'none'!r}, OpenGL module "
        f"{video.opengl or 'none'!r}"
        + (f", errors: {'; '.join(video.errors)}" if video.errors else "")
    )


@pytest.mark.parametrize("role", SEAT_ROLES)
def test_glx_nvidia_versions_agree(seat: Seat, role: str, record_property: Record) -> None:
    """The kernel module, the GL driver and NVML report one NVIDIA version in the container. Not
    looked at: the X server's own GLX module (its log), and the versions of the Vulkan, EGL and
    CUDA libraries."""
    prof = seat.config.profile
    if prof.match.vendor != "nvidia":
        pytest.skip(f"the {prof.name} profile runs on no NVIDIA GPU: no NVIDIA driver to match")
    container = container_of(seat, role)
    module_text = execs.shell(container, "cat /proc/driver/nvidia/version", timeout=10).stdout
    module = machine.nvidia_version_in(module_text)
    info = glx.glxinfo(container, seat.config.seat_user)
    smi = execs.shell(container, "nvidia-smi 2>&1", user=seat.config.seat_user, timeout=30)
    record_property("nvidia", {"module": module_text.strip(), "glx_version": info.version,
                               "nvidia_smi": smi.stdout[-2000:]})  # fmt: skip
    assert module, f"expected /proc/driver/nvidia/version in the {role} container; found none"
    problems = nvidia.disagreements(module, {"OpenGL version string": info.version}, smi.stdout)
    assert not problems, (
        f"expected NVIDIA {module} (the kernel module's version) from GL and nvidia-smi in the "
        f"{role} container; found " + "; ".join(problems)
    )


def test_glx_prime_offload_renders_on_the_other_gpu(seat: Seat, record_property: Record) -> None:
    """On a hybrid machine an app's GL sent to the other GPU (PRIME render offload) renders
    there: its renderer is the other vendor's, not the seat's own GPU's. Not looked at: the
    other apps (the shell app's glxinfo alone), Vulkan and EGL offload, and a program that does
    not ask for the other GPU itself (the check sets the offload variables)."""
    prof = seat.config.profile
    other = prof.offload_gpu
    if other is None:
        pytest.skip(f"the {prof.name} profile's machine has no second GPU to offload GL to")
    env = glx.OFFLOAD_ENV["nvidia" if other.vendor == "nvidia" else "mesa"]
    container = app_of(seat, "shell")
    own = glx.glxinfo(container, seat.config.seat_user)
    offloaded = glx.glxinfo(container, seat.config.seat_user, env)
    evidence = {"gpu": asdict(other), "env": env, "own": own.renderer}
    record_property("prime_offload", {**evidence, "offloaded": offloaded.renderer})
    wanted = profile_module.find(other.vendor).glx
    where = f"for GL offloaded ({' '.join(env)}) to {other.describe()}"
    problem = renderer_problem(
        offloaded.renderer, wanted.renderers, wanted.forbidden_renderers, where
    )
    assert not problem and offloaded.renderer != own.renderer, problem or (
        f"expected GL offloaded to {other.describe()} to render there; found the seat's own "
        f"renderer {own.renderer!r}"
    )
