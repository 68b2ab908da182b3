"""Hardware profiles: what a seat on some hardware is given and what it must show.

A profile lives in ``suites/<name>/profile.toml`` next to that profile's suite.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import HardwareMismatch, ProfileError
from .machine import VENDOR_DRIVERS, VENDOR_NAMES, Gpu, Machine, preference

PROFILE_FILE = "profile.toml"
DISPLAY_SERVERS = ("xvfb", "xorg")  # Xorg: on a real VT, driving the profile's DRM card
SINKS = ("null", "hardware")


@dataclass(frozen=True)
class GlxExpectation:
    direct_rendering: bool = True
    renderers: tuple[str, ...] = ()  # the renderer string must contain one of these
    forbidden_renderers: tuple[str, ...] = ()
    vendor: str = ""  # exact OpenGL vendor string, where the profile names one


def renderer_problem(
    renderer: str, wanted: tuple[str, ...], forbidden: tuple[str, ...], where: str
) -> str:
    """What is wrong with a renderer string against a profile's expectation ("" if fine)."""
    if any(f.lower() in renderer.lower() for f in forbidden):
        return f"expected a renderer other than {', '.join(forbidden)} {where}; found {renderer!r}"
    if wanted and not any(r.lower() in renderer.lower() for r in wanted):
        return f"expected a renderer matching {' or '.join(wanted)} {where}; found {renderer!r}"
    return ""


@dataclass(frozen=True)
class ChromeExpectation:
    """What chromium must report of its own GPU (DevTools ``SystemInfo.getInfo``)."""

    renderers: tuple[str, ...] = ()  # its GL renderer must contain one of these
    forbidden_renderers: tuple[str, ...] = ("SwiftShader",)  # its software fallback
    gpu_compositing: bool = True


@dataclass(frozen=True)
class XorgExpectation:
    """What the X log must show (display xorg): the X driver driving the card, glamor
    (GL-accelerated 2D) initialised, and the Mesa DRI driver X names for GL clients."""

    driver: str = ""  # as the log names it: modesetting, AMDGPU, NVIDIA
    glamor: bool = False
    dri_drivers: tuple[str, ...] = ()  # one of these: iris, crocus, radeonsi


@dataclass(frozen=True)
class Match:
    """The hardware a vendor profile runs on: a GPU of this PCI vendor bound to one of these
    kernel drivers. Its devices are found on the machine, not written in the profile."""

    vendor: str = ""  # intel, amd, nvidia ("" : the profile names its devices itself)
    drivers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    path: Path
    display: str = "xvfb"
    vt: int = 0  # xorg: the VT the seat takes (0: the first free one, never tty1)
    xorg_driver: str = "modesetting"  # xorg: the X driver for the profile's card
    gpu_devices: tuple[str, ...] = ()
    sound_devices: tuple[str, ...] = ()
    sink: str = "null"
    apps: tuple[str, ...] = ("chrome", "vlc", "shell")  # app roles, each with a driver
    glx: GlxExpectation = field(default_factory=GlxExpectation)
    chrome: ChromeExpectation = field(default_factory=ChromeExpectation)
    xorg: XorgExpectation = field(default_factory=XorgExpectation)
    match: Match = field(default_factory=Match)
    gpu: Gpu | None = None  # the GPU found for a vendor profile (bind)
    offload_gpu: Gpu | None = None  # a hybrid machine's other GPU, for PRIME render offload

    @property
    def devices(self) -> tuple[str, ...]:
        return self.gpu_devices + self.sound_devices


def project_root() -> Path:
    """The checkout seatcheck works from (its suites/ and dockerfiles/): beside the package in
    a checkout, else the working directory or the nearest folder above it that has both (an
    installed seatcheck, run from a checkout)."""
    cwd = Path.cwd()
    for folder in (Path(__file__).resolve().parent.parent, cwd, *cwd.parents):
        if (folder / "suites").is_dir() and (folder / "dockerfiles").is_dir():
            return folder
    raise ProfileError(
        f"expected a seatcheck checkout (suites/ and dockerfiles/) at or above {cwd}"
    )


def suites_dir() -> Path:
    """The checkout's suites/ folder."""
    return project_root() / "suites"


def available(root: Path | None = None) -> list[str]:
    root = root or suites_dir()
    return sorted(p.parent.name for p in root.glob(f"*/{PROFILE_FILE}"))


def find(name: str, root: Path | None = None) -> Profile:
    root = root or suites_dir()
    path = root / name / PROFILE_FILE
    if not path.is_file():
        known = ", ".join(available(root)) or "none"
        raise ProfileError(f"unknown profile {name!r} (profiles in {root}: {known})")
    return load(path)


def _take(table: dict[str, Any], key: str, kind: type, where: str, default: Any) -> Any:
    if key not in table:
        return default
    value = table.pop(key)
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{where}: '{key}' must be a list of strings, not {value!r}")
        return tuple(value)
    if not isinstance(value, kind):
        raise ProfileError(f"{where}: '{key}' must be a {kind.__name__}, not {value!r}")
    return value


def _table(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.pop(key, {})
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: [{key}] must be a table")
    return dict(value)


def _no_leftovers(table: dict[str, Any], where: str) -> None:
    if table:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(table))}")


def parse(text: str, path: Path) -> Profile:
    where = str(path)
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML: {exc}") from None
    name = _take(doc, "name", str, where, path.parent.name)
    description = _take(doc, "description", str, where, "")
    seat = _table(doc, "seat", where)
    display = _take(seat, "display", str, f"{where} [seat]", "xvfb")
    if display not in DISPLAY_SERVERS:
        raise ProfileError(f"{where} [seat]: display {display!r} is not one of {DISPLAY_SERVERS}")
    vt = _take(seat, "vt", int, f"{where} [seat]", 0)
    if vt == 1 or not 0 <= vt < 64:
        raise ProfileError(f"{where} [seat]: vt {vt} is not one a seat may take (2 to 63)")
    xorg_driver = _take(seat, "xorg_driver", str, f"{where} [seat]", "modesetting")
    match_t = _table(doc, "match", where)
    match = Match(
        vendor=_take(match_t, "vendor", str, f"{where} [match]", ""),
        drivers=_take(match_t, "drivers", tuple, f"{where} [match]", ()),
    )
    _no_leftovers(match_t, f"{where} [match]")
    if match.vendor and match.vendor not in VENDOR_DRIVERS:
        raise ProfileError(f"{where} [match]: vendor {match.vendor!r} is not one of "
                           f"{', '.join(VENDOR_DRIVERS)}")  # fmt: skip
    gpu = _take(seat, "gpu_devices", tuple, f"{where} [seat]", ())
    if match.vendor and gpu:
        raise ProfileError(f"{where} [seat]: a profile with [match] finds its GPU devices; "
                           "gpu_devices may not name them")  # fmt: skip
    if (
        display == "xorg"
        and not match.vendor
        and not any(Path(d).name.startswith("card") for d in gpu)
    ):
        raise ProfileError(
            f"{where} [seat]: display 'xorg' needs a DRM card (/dev/dri/cardN) in gpu_devices"
        )
    sound = _take(seat, "sound_devices", tuple, f"{where} [seat]", ())
    sink = _take(seat, "sink", str, f"{where} [seat]", "null")
    if sink not in SINKS:
        raise ProfileError(f"{where} [seat]: sink {sink!r} is not one of {SINKS}")
    apps = _take(seat, "apps", tuple, f"{where} [seat]", Profile.apps)
    from .drivers import DRIVERS  # each app role is exercised through its own program

    for app in apps:
        if app not in DRIVERS:
            raise ProfileError(
                f"{where} [seat]: app role {app!r} has no driver to exercise its program "
                f"(roles with one: {', '.join(DRIVERS)})"
            )
    for dev in gpu + sound:
        if not dev.startswith("/dev/"):
            raise ProfileError(f"{where} [seat]: device {dev!r} is not under /dev")
    _no_leftovers(seat, f"{where} [seat]")
    expect = _table(doc, "expect", where)
    glx_t = _table(expect, "glx", f"{where} [expect]")
    glx = GlxExpectation(
        direct_rendering=_take(glx_t, "direct_rendering", bool, f"{where} [expect.glx]", True),
        renderers=_take(glx_t, "renderers", tuple, f"{where} [expect.glx]", ()),
        forbidden_renderers=_take(glx_t, "forbidden_renderers", tuple, f"{where} [expect.glx]", ()),
        vendor=_take(glx_t, "vendor", str, f"{where} [expect.glx]", ""),
    )
    _no_leftovers(glx_t, f"{where} [expect.glx]")
    chrome_t = _table(expect, "chrome", f"{where} [expect]")
    cw = f"{where} [expect.chrome]"
    chrome = ChromeExpectation(
        renderers=_take(chrome_t, "renderers", tuple, cw, ()),
        forbidden_renderers=_take(chrome_t, "forbidden_renderers", tuple, cw, ("SwiftShader",)),
        gpu_compositing=_take(chrome_t, "gpu_compositing", bool, cw, True),
    )
    _no_leftovers(chrome_t, cw)
    xorg_t = _table(expect, "xorg", where)
    xw = f"{where} [expect.xorg]"
    xorg = XorgExpectation(
        driver=_take(xorg_t, "driver", str, xw, ""),
        glamor=_take(xorg_t, "glamor", bool, xw, False),
        dri_drivers=_take(xorg_t, "dri_drivers", tuple, xw, ()),
    )
    _no_leftovers(xorg_t, xw)
    _no_leftovers(expect, f"{where} [expect]")
    _no_leftovers(doc, where)
    return Profile(
        name=name,
        description=description,
        path=path,
        display=display,
        vt=vt,
        xorg_driver=xorg_driver,
        gpu_devices=gpu,
        sound_devices=sound,
        sink=sink,
        apps=apps,
        glx=glx,
        chrome=chrome,
        xorg=xorg,
        match=match,
    )


def load(path: Path) -> Profile:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror}") from None
    return parse(text, path)


def bind(prof: Profile, machine: Machine, pci_address: str = "") -> Profile:
    """A vendor profile on this machine: its GPU found by vendor and kernel driver (the one at
    ``pci_address`` where given), with that GPU's card and render nodes and the machine's
    sound cards. Raises HardwareMismatch, naming what was found, where none fits. A profile
    without [match] names its own devices and is returned as it is."""
    want = prof.match
    if not want.vendor:
        return prof
    vendor = VENDOR_NAMES[want.vendor]
    drivers = want.drivers or VENDOR_DRIVERS[want.vendor]
    needed = f"an {vendor} GPU"  # an Intel, an AMD, an NVIDIA
    needed += f" on {' or '.join(drivers)}"
    if pci_address:
        needed += f" at {pci_address}"
    ours = [
        g for g in machine.gpus
        if g.vendor == want.vendor and (not pci_address or g.pci_address == pci_address)
    ]  # fmt: skip
    fit = [g for g in ours if g.driver in drivers and g.card]
    if not fit:
        raise HardwareMismatch(
            f"profile {prof.name} needs {needed} with a DRM card node; "
            f"found {machine.describe_gpus()}"
        )
    fit.sort(key=preference)
    gpu = fit[0]
    # A hybrid machine: the other GPU on its vendor's driver, reached by render offload.
    others = sorted(
        (g for g in machine.gpus
         if g != gpu and g.render and g.driver in VENDOR_DRIVERS.get(g.vendor, ())),
        key=preference,
    )  # fmt: skip
    offload = others[0] if others else None
    sound = ("/dev/snd",) if machine.sound_nodes else ()
    return replace(
        prof,
        gpu=gpu,
        offload_gpu=offload,
        gpu_devices=tuple(n for n in (gpu.card, gpu.render, offload and offload.render) if n),
        sound_devices=sound,
        sink="hardware" if sound else "null",
    )
