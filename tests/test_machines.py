"""The vendor profiles over recorded machines (tests/data/hw/, real machines' public data, each
source cited beside it): discovery and the doctor's choice run inside a umockdev testbed built
from the recorded attributes; a profile on the wrong hardware stops before anything starts,
under plain pytest, with one line and exit status 2; each profile's expectations hold for its
vendor's recorded GL, X log and NVIDIA versions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from hw import HW, fit_over, in_testbed

from seatcheck import machine, nvidia, profile
from seatcheck.probes import glx, xorg_log
from seatcheck.profile import renderer_problem

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(ROOT)]


@pytest.fixture(scope="module", autouse=True)
def umockdev() -> None:
    from seatcheck import engine

    engine.ensure_host_packages({"umockdev-run": "umockdev"})


@pytest.mark.parametrize(
    ("recorded", "gpu", "fits", "address"),
    [
        ("intel-irisxe-t14g3-laptop", "", "intel", "0000:00:02.0"),
        ("amd-rx5500xt-desktop", "", "amd", "0000:03:00.0"),  # its iGPU is not the VGA one
        ("nvidia-quadro-k2200-desktop", "", "nvidia", "0000:01:00.0"),
        ("hybrid-intel-nvidia-p52-laptop", "", "intel", "0000:00:02.0"),
        ("hybrid-intel-nvidia-p52-laptop", "0000:01:00.0", "nvidia", "0000:01:00.0"),
    ],
)
def test_doctor_chooses_the_profile_of_a_recorded_machine(
    tmp_path: Path, recorded: str, gpu: str, fits: str, address: str
) -> None:
    fit = fit_over(HW / recorded, tmp_path, gpu)
    assert (fit.profile, fit.gpu and fit.gpu.pci_address) == (fits, address), fit.describe()
    if recorded.startswith("hybrid") and not gpu:
        assert any(r.startswith("hybrid: also NVIDIA GPU 10de:1cbb") for r in fit.reasons)


def test_doctor_on_a_machine_without_gpu_chooses_virtual(tmp_path: Path) -> None:
    empty = tmp_path / "none"
    empty.mkdir()
    (empty / "lspci.txt").write_text("")
    assert fit_over(empty, tmp_path).profile == "virtual"


def _pytest_over(recorded: str, suite: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return in_testbed(
        HW / recorded, tmp_path, [*PYTEST, str(ROOT / "suites" / suite), "--collect-only", "-q"]
    )


@pytest.mark.parametrize(
    ("recorded", "suite"),
    [
        ("intel-irisxe-t14g3-laptop", "intel"),
        ("amd-rx5500xt-desktop", "amd"),
        ("hybrid-intel-nvidia-p52-laptop", "intel"),
    ],
)
def test_suite_gets_past_discovery_on_its_recorded_machine(
    tmp_path: Path, recorded: str, suite: str
) -> None:
    proc = _pytest_over(recorded, suite, tmp_path)
    assert proc.returncode == 0, proc.stdout[-800:] + proc.stderr[-800:]
    assert re.search(r"\d+ tests collected", proc.stdout)


@pytest.mark.parametrize(
    ("recorded", "suite", "found"),
    [
        ("nvidia-quadro-k2200-desktop", "intel",
         "found NVIDIA GPU 10de:13ba at 0000:01:00.0 (driver nvidia;"),
        ("intel-irisxe-t14g3-laptop", "amd",
         "found Intel GPU 8086:46a6 at 0000:00:02.0 (driver i915;"),
        ("intel-irisxe-t14g3-laptop", "nvidia", "found Intel GPU 8086:46a6"),
    ],
)  # fmt: skip
def test_suite_on_other_hardware_stops_with_one_line(
    tmp_path: Path, recorded: str, suite: str, found: str
) -> None:
    proc = _pytest_over(recorded, suite, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out[-1500:]
    lines = [line for line in out.splitlines() if "seatcheck:" in line]
    assert len(lines) == 1 and f"profile {suite} needs" in lines[0] and found in lines[0], out


def test_suite_here_stops_naming_no_gpu() -> None:
    proc = subprocess.run(
        [*PYTEST, str(ROOT / "suites" / "intel"), "-q"], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout[-1500:]
    assert "profile intel needs an Intel GPU on i915 or xe with a DRM card node; found no GPU" in (
        proc.stdout
    )


def test_nvidia_suite_without_matching_user_space_stops_naming_the_version(
    tmp_path: Path,
) -> None:
    """The recorded NVIDIA machine's module (510.73.08) has no user-space of its version here:
    the run stops before start, naming the version needed and what was found."""
    prof = profile.bind(profile.find("nvidia"), _recorded_machine("nvidia-quadro-k2200-desktop"))
    module = machine.nvidia_version_in(
        (HW / "nvidia-quadro-k2200-desktop/nvidia-version.txt").read_text()
    )
    with pytest.raises(Exception, match=r"needs NVIDIA user-space 510\.73\.08 \(the kernel "
                       r"module's version\); found no libGLX_nvidia\.so\.510\.73\.08"):  # fmt: skip
        nvidia.user_space_for(prof, module)


def _recorded_machine(recorded: str) -> machine.Machine:
    from hw import gpus_of

    return machine.Machine(gpus=tuple(
        machine.Gpu(g.address, g.vendor_id, g.device_id, g.driver, f"/dev/dri/card{i}",
                    f"/dev/dri/renderD{128 + i}", pci_class=g.class_code)
        for i, g in enumerate(gpus_of(HW / recorded))
    ))  # fmt: skip


def test_profiles_bind_the_recorded_gpu_and_its_nodes() -> None:
    intel = profile.bind(profile.find("intel"), _recorded_machine("hybrid-intel-nvidia-p52-laptop"))
    assert intel.gpu and intel.gpu.pci_address == "0000:00:02.0"
    assert intel.gpu_devices[:2] == ("/dev/dri/card0", "/dev/dri/renderD128")
    other = profile.bind(
        profile.find("nvidia"), _recorded_machine("hybrid-intel-nvidia-p52-laptop")
    )
    assert other.gpu_devices == ("/dev/dri/card1", "/dev/dri/renderD129", "/dev/dri/renderD128")
    # each side of the hybrid can offload GL to the other's render node
    assert intel.offload_gpu and intel.offload_gpu.vendor == "nvidia"
    assert intel.gpu_devices[-1] == "/dev/dri/renderD129"
    assert other.offload_gpu and other.offload_gpu.vendor == "intel"


# -- each vendor's expectations over its recorded GL and X log -------------------------------


def test_amd_expectations_hold_for_the_recorded_radeonsi() -> None:
    info = glx.parse_glxinfo((HW / "amd-rx5500xt-desktop/glxinfo.txt").read_text())
    amd = profile.find("amd").glx
    assert info.direct_rendering
    assert renderer_problem(info.renderer, amd.renderers, amd.forbidden_renderers, "") == ""
    intel = profile.find("intel").glx
    assert renderer_problem(info.renderer, intel.renderers, intel.forbidden_renderers, "here")


def test_intel_expectations_hold_for_the_recorded_iris() -> None:
    """inxi's summary of the T14's GL (its renderer, X driver and DRI driver)."""
    text = " ".join((HW / "intel-irisxe-t14g3-laptop/inxi-graphics-audio.txt").read_text().split())
    renderer = re.search(r"renderer: (.+?) device-ID", text)
    assert renderer
    intel = profile.find("intel")
    problem = renderer_problem(
        renderer.group(1), intel.glx.renderers, intel.glx.forbidden_renderers, ""
    )
    assert problem == ""
    assert "loaded: modesetting" in text and f"dri: {intel.xorg.dri_drivers[0]}" in text
    assert renderer_problem("llvmpipe (LLVM 15.0.6, 256 bits)", intel.glx.renderers,
                            intel.glx.forbidden_renderers, "")  # fmt: skip


def test_nvidia_x_log_shows_the_expected_driver() -> None:
    log = xorg_log.parse((HW / "nvidia-quadro-k2200-desktop/Xorg.0.log").read_text())
    assert log.driver_in_use == profile.find("nvidia").xorg.driver
    assert profile.find("intel").xorg.driver != log.driver_in_use


def test_nvidia_versions_agree_on_the_recorded_match() -> None:
    folder = HW / "nvidia-quadro-k2200-desktop"
    module = machine.nvidia_version_in((folder / "nvidia-version.txt").read_text())
    glx_module = re.search(r"NVIDIA GLX Module .*", (folder / "Xorg.0.log").read_text())
    assert module == "510.73.08" and glx_module
    problems = nvidia.disagreements(
        module, {"X's GLX module": glx_module.group(0)}, (folder / "nvidia-smi.txt").read_text()
    )
    assert problems == []


def test_nvidia_versions_disagree_on_the_recorded_mismatch() -> None:
    folder = HW / "nvidia-mismatch-truenas-580"
    module = machine.nvidia_version_in((folder / "nvidia-version.txt").read_text())
    problems = nvidia.disagreements(module, {}, (folder / "nvidia-smi.txt").read_text())
    assert module == "580.173.02"
    assert problems == [
        "nvidia-smi: Failed to initialize NVML: Driver/library version mismatch | "
        "NVML library version: 580.178"
    ]
