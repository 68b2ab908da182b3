"""record-machine: what it redacts, and that its archive replays to the machine's verdict."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from seatcheck import machine, recorder

DATA = Path(__file__).resolve().parent / "data"


def test_redaction_removes_serials_and_keeps_the_model() -> None:
    edid = "".join((DATA / "edid-dell-d1918h.txt").read_text().split()).upper()
    recording = "\n".join([
        "P: /devices/pci0000:00/0000:00:02.0/drm/card0/card0-HDMI-A-1",
        f"H: edid={edid}",
        "P: /devices/pci0000:00/0000:00:14.0/usb1/1-7",
        "A: serial=KYJ231716UHE",
        "E: ID_SERIAL=C-Media_USB_Audio_Device_KYJ231716UHE",
        "A: address=c8:ff:bf:05:f4:46",
        "A: product=USB Audio Device",
    ])  # fmt: skip
    out = recorder.redact(recording)
    serial = "KYJ231716UHE"
    assert serial not in out and serial.encode().hex().upper() not in out
    assert "c8:ff:bf" not in out
    assert "A: product=USB Audio Device" in out
    assert b"D1918H".hex().upper() in out  # the model a check may read stays
    redacted = bytes.fromhex(out.split("H: edid=")[1].split()[0])
    assert redacted[:12] == bytes.fromhex(edid)[:12] and redacted[12:16] == bytes(4)


def test_record_and_replay_give_this_machines_verdict(tmp_path: Path) -> None:
    archive = recorder.record(tmp_path / recorder.ARCHIVE)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        recorded = json.loads(tar.extractfile("machine.json").read())  # type: ignore[union-attr]
    assert {recorder.DEVICES_FILE, "group", "machine.json"} <= names
    here = machine.fitting_profile(machine.discover())
    assert recorded["fit"] == here.describe()
    assert recorder.replay(archive).profile == here.profile


def test_the_recorded_vm_replays_to_the_vm_2d_profile() -> None:
    """This project's own VM with plain virtio-vga, recorded by record-machine inside it (a
    healthy `seatcheck vm` run's machine.tar.gz): virtio_gpu's DRM card under the virtio-pci
    function without 3D, Intel HDA."""
    fit = recorder.replay(DATA / "hw/seatcheck-vm/machine.tar.gz")
    assert fit.profile == "vm-2d", fit.describe()
    assert fit.gpu is not None and fit.gpu.vendor_id == "0x1af4" and not fit.gpu.virgl


def test_the_recorded_virgl_vm_replays_to_the_vm_profile() -> None:
    """The same VM booted with virtio-vga-gl (virgl), recorded the same way: its virtio
    device's negotiated features (VIRTIO_GPU_F_VIRGL) are in the recording."""
    fit = recorder.replay(DATA / "hw/seatcheck-vm-virgl/machine.tar.gz")
    assert fit.profile == "vm", fit.describe()
    assert fit.gpu is not None and fit.gpu.virgl and fit.gpu.driver == "virtio_gpu"
