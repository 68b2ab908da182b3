"""Profile files: the shipped ones load, malformed ones are refused with a clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatcheck import profile
from seatcheck.displays import XorgDisplay, display_for
from seatcheck.errors import ProfileError


def test_virtual_profile_loads() -> None:
    prof = profile.find("virtual")
    assert prof.name == "virtual"
    assert prof.display == "xvfb"
    assert prof.devices == ()
    assert prof.glx.renderers == ("llvmpipe",)


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile 'nosuch'.*virtual"):
        profile.find("nosuch")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo" / profile.PROFILE_FILE
    path.parent.mkdir()
    path.write_text(text)
    return path


def test_full_profile_parses(tmp_path: Path) -> None:
    prof = profile.load(
        write(
            tmp_path,
            'name = "intel"\n[seat]\ngpu_devices = ["/dev/dri"]\nsound_devices = ["/dev/snd"]\n'
            'sink = "hardware"\n[expect.glx]\nrenderers = ["iris", "crocus", "i965"]\n'
            'forbidden_renderers = ["llvmpipe", "softpipe", "swrast"]\n',
        )
    )
    assert prof.devices == ("/dev/dri", "/dev/snd")
    assert prof.glx.forbidden_renderers == ("llvmpipe", "softpipe", "swrast")
    assert prof.sink == "hardware"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not valid TOML"),
        ("colour = 'blue'\n", "unknown key.*colour"),
        ("[seat]\ngpu_devices = '/dev/dri'\n", "gpu_devices' must be a list of strings"),
        ("[seat]\ngpu_devices = ['/tmp/dri']\n", "is not under /dev"),
        ("[seat]\ndisplay = 'wayland'\n", "display 'wayland' is not one of"),
        ("[seat]\nsink = 'loud'\n", "sink 'loud' is not one of"),
        ("[expect.glx]\ndirect_rendering = 'yes'\n", "direct_rendering' must be a bool"),
        ("[expect.glx]\nrenderer = ['x']\n", r"\[expect.glx\]: unknown key.*renderer"),
        ("seat = 3\n", r"\[seat\] must be a table"),
        ("[seat]\napps = ['shell', 'gimp']\n", r"app role 'gimp' has no driver.*shell"),
        ("[seat]\ndisplay = 'xorg'\n", r"display 'xorg' needs a DRM card"),
        ("[seat]\ndisplay = 'xorg'\ngpu_devices = ['/dev/dri/renderD128']\n", "needs a DRM card"),
        ("[seat]\nvt = 1\n", "vt 1 is not one a seat may take"),
        ("[seat]\nvt = '7'\n", "'vt' must be a int"),
        ("[seat]\nvt = true\n", "'vt' must be a int, not True"),
        ("[expect]\nxorg = 3\n", r"\[expect.xorg\] must be a table"),
        ("[expect.chrome]\ngpu = 1\n", r"\[expect.chrome\]: unknown key.*gpu"),
    ],
)
def test_malformed_profile_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        profile.load(write(tmp_path, text))


def test_xorg_profile_gives_x_its_card_and_vt(tmp_path: Path) -> None:
    """The xorg display mode's settings for the gnome image: the profile's VT, its card as the
    modesetting driver's kmsdev, and the VT's node among the devices."""
    prof = profile.load(
        write(
            tmp_path,
            '[seat]\ndisplay = "xorg"\nvt = 7\n'
            'gpu_devices = ["/dev/dri/card1", "/dev/dri/renderD129"]\n',
        )
    )
    display = display_for(prof)
    assert isinstance(display, XorgDisplay)
    display.vt = prof.vt  # what prepare() takes from the profile (it also checks the VTs)
    files = {f.name: f.data.decode() for f in display.files()}
    assert files["etc/seatcheck/xserver.env"] == "SEATCHECK_VT=7\nSEATCHECK_XSERVER=xorg\n"
    assert 'Option "kmsdev" "/dev/dri/card1"' in files["etc/X11/xorg.conf.d/10-seatcheck.conf"]
    assert display.devices()[:2] == ["/dev/tty0", "/dev/tty7"]


# Renderer strings in the formats Mesa's virgl driver and chromium's ANGLE print, written here
# (no VM run recorded them): virgl names the host's renderer in parentheses after its own name;
# ANGLE quotes the GL renderer it runs on, its commas dropped. ANGLE_LLVMPIPE alone is recorded
# (tests/data/chrome-systeminfo-llvmpipe.json).
MESA_VIRGL = "virgl (LLVMPIPE (LLVM 15.0.6, 256 bits))"
ANGLE_VIRGL = (
    "ANGLE (Mesa, virgl (LLVMPIPE (LLVM 15.0.6 256 bits)), OpenGL 4.3 (Core Profile) Mesa 22.3.6)"
)
MESA_LLVMPIPE = "llvmpipe (LLVM 15.0.6, 256 bits)"
ANGLE_LLVMPIPE = (
    "ANGLE (Mesa/X.org, llvmpipe (LLVM 15.0.6 256 bits), OpenGL 4.5 (Core Profile) Mesa 22.3.6)"
)
ANGLE_SWIFTSHADER = (
    "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), "
    "SwiftShader driver-5.0.0)"
)


@pytest.mark.parametrize(
    ("renderer", "own"),
    [
        (MESA_VIRGL, "virgl"),
        (ANGLE_VIRGL, "ANGLE (Mesa, virgl, OpenGL 4.3 (Core Profile) Mesa 22.3.6)"),
        (MESA_LLVMPIPE, MESA_LLVMPIPE),
        (ANGLE_SWIFTSHADER, ANGLE_SWIFTSHADER),
    ],
)
def test_own_renderer_leaves_out_the_host_renderer_behind_virgl(renderer: str, own: str) -> None:
    assert profile.own_renderer(renderer) == own


@pytest.mark.parametrize(
    ("renderer", "forbidden", "caught"),
    [
        (MESA_VIRGL, ("llvmpipe", "softpipe", "swrast"), False),
        (ANGLE_VIRGL, ("SwiftShader", "llvmpipe"), False),
        (MESA_LLVMPIPE, ("llvmpipe", "softpipe", "swrast"), True),
        (ANGLE_LLVMPIPE, ("SwiftShader", "llvmpipe"), True),
        (ANGLE_SWIFTSHADER, ("SwiftShader",), True),
    ],
)
def test_a_forbidden_renderer_is_looked_for_in_the_guests_own(
    renderer: str, forbidden: tuple[str, ...], caught: bool
) -> None:
    problem = profile.renderer_problem(renderer, (), forbidden, "here")
    assert bool(problem) == caught
    if caught:
        assert repr(renderer) in problem  # the whole string is shown


def test_a_wanted_renderer_is_looked_for_in_the_whole_string() -> None:
    # the vm-2d profile wants llvmpipe; behind virgl it is the host's, and still found
    assert profile.renderer_problem(MESA_VIRGL, ("llvmpipe",), ("softpipe",), "here") == ""
