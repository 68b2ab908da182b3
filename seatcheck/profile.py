"""Hardware profiles: what a seat on some hardware is given and what it must show.

A profile lives in ``suites/<name>/profile.toml`` next to that profile's suite.
"""

from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from .errors import HardwareMismatch, ProfileError
from .machine import VENDOR_DRIVERS, VENDOR_NAMES, Gpu, Machine, preference

PROFILE_FILE = "profile.toml"
DISPLAY_SERVERS = ("xvfb", "xorg")  # Xorg: on a real VT, driving the profile's DRM card
SINKS = ("null", "hardware")
_T = TypeVar("_T")


@dataclass(frozen=True)
class GlxExpectation:
    direct_rendering: bool = True
    renderers: tuple[str, ...] = ()  # the renderer string must contain one of these
    forbidden_renderers: tuple[str, ...] = ()
    vendor: str = ""  # exact OpenGL vendor string, where the profile names one


_VIRGL = re.compile(r"\b(virgl)\s*\(", re.IGNORECASE)


def own_renderer(renderer: str) -> str:
    """The renderer string without what a paravirtual driver says of the host's renderer
    behind it: ``virgl (LLVMPIPE (LLVM 15.0.6, 256 bits))`` is virgl in the guest, whatever
    the host renders with (also inside ANGLE's string, which quotes it)."""
    own, rest = "", renderer
    while found := _VIRGL.search(rest):
        own += rest[: found.start()] + found.group(1)
        depth, end = 0, len(rest)  # an unbalanced group runs to the end
        for index in range(found.end() - 1, len(rest)):
            depth += {"(": 1, ")": -1}.get(rest[index], 0)
            if depth == 0:
                end = index + 1
                break
        rest = rest[end:]
    return own + rest


def renderer_problem(
    renderer: str, wanted: tuple[str, ...], forbidden: tuple[str, ...], where: str
) -> str:
    """What is wrong with a renderer string against a profile's expectation ("" if fine).
    A forbidden renderer is looked for in the guest's own part of it (``own_renderer``): a
    profile that forbids llvmpipe must not fail virgl for the host's llvmpipe behind it."""
    if any(f.lower() in own_renderer(renderer).lower() for f in forbidden):
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
    """The profiles there are (none outside a checkout)."""
    try:
        root = root or suites_dir()
    except ProfileError:
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{PROFILE_FILE}"))


def find(name: str, root: Path | None = None) -> Profile:
    root = root or suites_dir()
    path = root / name / PROFILE_FILE
    if not path.is_file():
        known = ", ".join(available(root)) or "none"
        raise ProfileError(f"unknown profile {name!r} (profiles in {root}: {known})")
    return load(path)


@dataclass(frozen=True)
class _SeatTable:
    """``[seat]``: what the seat is given."""

    display: str = "xvfb"
    vt: int = 0
    xorg_driver: str = "modesetting"
    gpu_devices: tuple[str, ...] = ()
    sound_devices: tuple[str, ...] = ()
    sink: str = "null"
    apps: tuple[str, ...] = Profile.apps


@dataclass(frozen=True)
class _ExpectTable:
    """``[expect.*]``: what the seat must show."""

    glx: GlxExpectation = field(default_factory=GlxExpectation)
    chrome: ChromeExpectation = field(default_factory=ChromeExpectation)
    xorg: XorgExpectation = field(default_factory=XorgExpectation)


@dataclass(frozen=True)
class _ProfileFile:
    """The whole file: the dataclasses above are its schema (keys, types and defaults)."""

    name: str = ""
    description: str = ""
    seat: _SeatTable = field(default_factory=_SeatTable)
    match: Match = field(default_factory=Match)
    expect: _ExpectTable = field(default_factory=_ExpectTable)


def _from_table(cls: type[_T], table: Any, where: str, section: str = "") -> _T:
    """A schema dataclass from a TOML table (``section``: its name, as ``seat`` or
    ``expect.glx``): every key one of its fields and of the field's declared type (str, int,
    bool, a list of strings, or a table of its own)."""
    at = f"{where} [{section}]" if section else where
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: [{section}] must be a table")
    unknown = sorted(set(table) - {f.name for f in fields(cls)})  # type: ignore[arg-type]
    if unknown:
        raise ProfileError(f"{at}: unknown key(s) {', '.join(unknown)}")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in table.items():
        kind = hints[key]
        if isinstance(kind, type) and is_dataclass(kind):
            values[key] = _from_table(kind, value, where, f"{section}.{key}" if section else key)
        elif kind == tuple[str, ...]:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{at}: '{key}' must be a list of strings, not {value!r}")
            values[key] = tuple(value)
        elif type(value) is not kind:  # a bool is no int here
            raise ProfileError(f"{at}: '{key}' must be a {kind.__name__}, not {value!r}")
        else:
            values[key] = value
    return cls(**values)


def _refuse_what_cannot_run(doc: _ProfileFile, where: str) -> None:
    """What the schema's types cannot say: the values a seat can take."""
    seat, match, at = doc.seat, doc.match, f"{where} [seat]"
    if seat.display not in DISPLAY_SERVERS:
        raise ProfileError(f"{at}: display {seat.display!r} is not one of {DISPLAY_SERVERS}")
    if seat.vt == 1 or not 0 <= seat.vt < 64:
        raise ProfileError(f"{at}: vt {seat.vt} is not one a seat may take (2 to 63)")
    if match.vendor and match.vendor not in VENDOR_DRIVERS:
        raise ProfileError(f"{where} [match]: vendor {match.vendor!r} is not one of "
                           f"{', '.join(VENDOR_DRIVERS)}")  # fmt: skip
    if match.vendor and seat.gpu_devices:
        raise ProfileError(f"{at}: a profile with [match] finds its GPU devices; gpu_devices "
                           "may not name them")  # fmt: skip
    cards = [d for d in seat.gpu_devices if Path(d).name.startswith("card")]
    if seat.display == "xorg" and not match.vendor and not cards:
        raise ProfileError(f"{at}: display 'xorg' needs a DRM card (/dev/dri/cardN) in gpu_devices")
    if seat.sink not in SINKS:
        raise ProfileError(f"{at}: sink {seat.sink!r} is not one of {SINKS}")
    from .drivers import DRIVERS  # each app role is exercised through its own program

    for app in seat.apps:
        if app not in DRIVERS:
            raise ProfileError(f"{at}: app role {app!r} has no driver to exercise its program "
                               f"(roles with one: {', '.join(DRIVERS)})")  # fmt: skip
    for dev in seat.gpu_devices + seat.sound_devices:
        if not dev.startswith("/dev/"):
            raise ProfileError(f"{at}: device {dev!r} is not under /dev")


def parse(text: str, path: Path) -> Profile:
    where = str(path)
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML: {exc}") from None
    doc = _from_table(_ProfileFile, table, where)
    _refuse_what_cannot_run(doc, where)
    seat = doc.seat
    return Profile(
        name=doc.name or path.parent.name, description=doc.description, path=path,
        display=seat.display, vt=seat.vt, xorg_driver=seat.xorg_driver,
        gpu_devices=seat.gpu_devices, sound_devices=seat.sound_devices, sink=seat.sink,
        apps=seat.apps, glx=doc.expect.glx, chrome=doc.expect.chrome, xorg=doc.expect.xorg,
        match=doc.match,
    )  # fmt: skip


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
