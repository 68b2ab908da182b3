"""Unit tests of the probes' parsers, over recorded outputs in tests/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seatcheck import cache, machine, reports
from seatcheck.engine import execs
from seatcheck.errors import ProbeError
from seatcheck.probes import chrome, drm, glx, net, selinux, squid, vlc
from seatcheck.vm import sound as vm_sound

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
    with pytest.raises(ProbeError, match="no renderer"):
        glx.parse_glxinfo("Error: couldn't find RGB GLX visual or fbconfig\n")


def test_nvidia_module_version(tmp_path: Path) -> None:
    version = tmp_path / "driver/nvidia/version"
    version.parent.mkdir(parents=True)
    version.write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC "
        "2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
    )
    assert machine.nvidia_module_version(tmp_path, tmp_path) == "535.183.01"
    assert machine.nvidia_module_version(tmp_path / "none", tmp_path / "none") == ""


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
    me = tmp_path / "current"
    me.write_text("system_u:system_r:unconfined_t:s0\x00")
    assert selinux.mode(tmp_path / "absent", me) == "disabled"
    (tmp_path / "enforce").write_text("0")
    assert selinux.mode(tmp_path, me) == "permissive"
    (tmp_path / "enforce").write_text("1")
    assert selinux.mode(tmp_path, me) == "enforcing"
    # SELinux on in the kernel, no policy loaded (Debian's kernel in the VM, measured): every
    # process has the initial SID's label "kernel", and nothing is labelled.
    me.write_text("kernel\x00")
    assert selinux.mode(tmp_path, me) == "disabled"


def test_squid_access_log_hits_and_bytes() -> None:
    entries = squid.parse_access_log((DATA / "squid-access.log").read_text())
    assert len(entries) == 7
    first, hit, denied = entries[2], entries[5], entries[6]
    assert (first.action, first.status, first.is_package, first.from_cache) == (
        "TCP_MISS", 200, True, False,
    )  # fmt: skip
    assert hit.action == "TCP_MEM_HIT" and hit.from_cache and hit.is_package
    assert not entries[3].from_cache  # TCP_REFRESH_MODIFIED: the origin sent a new body
    assert denied.action == "TCP_DENIED" and denied.status == 403
    stats = squid.summarize(entries)
    assert (stats.requests, stats.hits, stats.denied) == (6, 1, 1)
    assert (stats.package_bytes, stats.package_bytes_from_cache) == (53349 + 53355, 53355)
    assert stats.hit_ratio == pytest.approx(1 / 6)
    assert stats.package_byte_share == pytest.approx(53355 / (53349 + 53355))
    assert "1/6 requests from the cache" in stats.describe()


def test_squid_unmodified_revalidation_counts_as_served_from_cache() -> None:
    line = (
        "1795839860.000 3 172.18.0.4 TCP_REFRESH_UNMODIFIED/200 151318 GET "
        "http://deb.debian.org/debian/dists/bookworm/InRelease - HIER_DIRECT/203.0.113.80 -"
    )
    (entry,) = squid.parse_access_log(line + "\nnot a log line\n")
    assert entry.from_cache and not entry.is_package


def test_apt_fetches_in_build_output() -> None:
    output = (DATA / "apt-build-output.txt").read_text()
    assert cache.apt_fetches(output) == 4
    assert cache.apt_fetch_seconds(output) == 1
    assert cache.apt_fetch_seconds("Fetched 280 MB in 1min 3s (4430 kB/s)") == 63


def test_build_record_that_bypassed_the_cache() -> None:
    direct = cache.BuildRecord(
        role="shell", tag="seatcheck/shell:latest", image_id="sha256:ab", started="t",
        seconds=3.0, proxy=None, apt_fetches=4,
    )  # fmt: skip
    assert direct.bypassed_cache() and "not through the cache" in direct.describe()
    stats = squid.summarize(squid.parse_access_log((DATA / "squid-access.log").read_text()))
    proxied = cache.BuildRecord(
        role="shell", tag="seatcheck/shell:latest", image_id="sha256:ab", started="t",
        seconds=3.0, proxy="http://172.18.0.2:3128", apt_fetches=4, cache=stats.as_dict(),
    )  # fmt: skip
    assert not proxied.bypassed_cache() and proxied.hit_ratio == pytest.approx(1 / 6)
    assert reports.hit_ratio_text(proxied.as_dict()) == "hit ratio 16.7 % (1/6)"
    assert reports.hit_ratio_text(direct.as_dict()) == "not through the cache"


def test_last_build_is_the_newest_that_fetched_while_the_cache_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEATCHECK_STATE_DIR", str(tmp_path))

    def keep(role: str, started: str, fetches: int, running: bool) -> None:
        cache.save_record(
            cache.BuildRecord(
                role=role, tag=f"seatcheck/{role}:latest", image_id=f"sha256:{role}",
                started=started, seconds=1.0, proxy="http://172.18.0.2:3128" if running else None,
                apt_fetches=fetches, cache={"requests": fetches}, cache_running=running,
            )
        )  # fmt: skip

    assert cache.last_build() is None
    keep("base", "2026-11-28T04:00:00Z", 120, running=False)  # before the cache existed
    keep("gnome", "2026-11-28T04:02:00Z", 424, running=True)
    keep("squid", "2026-11-28T04:03:00Z", 30, running=False)  # the cache's own image
    keep("shell", "2026-11-28T04:04:00Z", 0, running=True)  # all from the layer cache
    last = cache.last_build()
    assert last is not None and last.role == "gnome"


def _chrome(name: str) -> chrome.ChromeGpu:
    doc = json.loads((DATA / name).read_text())
    return chrome.parse_system_info(doc["SystemInfo.getInfo"], doc["version"]["Browser"])


def test_chrome_system_info_on_llvmpipe() -> None:
    gpu = _chrome("chrome-systeminfo-llvmpipe.json")
    assert "llvmpipe" in gpu.gl_renderer and gpu.gl_renderer.startswith("ANGLE (Mesa/X.org")
    assert not gpu.software_rendering
    assert gpu.feature_status["gpu_compositing"] == "enabled"
    assert gpu.browser == "Chrome/150.0.7871.100"
    assert gpu.skia_backend == "GaneshGL" and not gpu.hardware_vulkan
    assert gpu.gl_implementation == "(gl=egl-angle,angle=opengl)"
    assert gpu.software_named == ()


def test_chrome_system_info_with_gpu_disabled_is_software() -> None:
    gpu = _chrome("chrome-systeminfo-disable-gpu.json")
    assert gpu.gl_renderer == "Disabled"
    assert gpu.software_rendering
    assert gpu.feature_status["gpu_compositing"] == "disabled_software"


def test_vlc_log_names_its_video_output() -> None:
    video = vlc.parse_log((DATA / "vlc-vv-gl.log").read_text())
    assert (video.vout, video.opengl, video.egl) == ("gl", "egl_x11", "1.5 by Mesa Project")
    assert video.errors == ()
    assert vlc.parse_log("[0] main vout display error: no vout display module matching gl\n") == (
        vlc.VlcVideo(
            "", "", "", ("[0] main vout display error: no vout display module matching gl",)
        )
    )


def test_vlc_clip_is_the_colour_asked_for() -> None:
    from seatcheck.drivers import vlc as vlc_driver

    clip = vlc_driver.y4m_clip((220, 120, 30), seconds=2)
    header, _, rest = clip.partition(b"\n")
    assert header.startswith(b"YUV4MPEG2 W160 H120 F1:1")
    frames = rest.split(b"FRAME\n")[1:]
    assert len(frames) == 2 and all(len(f) == 160 * 120 * 3 // 2 for f in frames)
    assert vlc_driver.rgb_to_ycbcr((220, 120, 30)) == (
        frames[0][0],
        frames[0][-2 * 60 * 80],
        frames[0][-1],
    )
    assert vlc_driver.rgb_to_ycbcr((255, 255, 255)) == (235, 128, 128)


# Recorded: 1.4 s of the VM's Intel HDA output while the shell app played 442 Hz, then 1.4 s
# after gnome set that stream's volume to 0 (qemu's wav backend, `seatcheck vm` run
# 20261129T085559Z-ecc028; the other apps' tones play throughout).
CARD_WAV = DATA / "vm-card-442hz.wav"
CARD_MARKS = {"card-tone-442": 44, "card-silent-442": 247000, "card-end": 493956}


def test_card_tone_judged_from_the_cards_own_output() -> None:
    verdict = vm_sound.judge_card_tone(CARD_WAV, CARD_MARKS)
    assert verdict is not None and verdict["outcome"] == "passed", verdict
    playing = verdict["evidence"]["card_wav"]["playing"]
    assert playing["power_db"] > 40 and playing["frames"] > 0
    assert abs(playing["peak_hz"] - 442) <= 2  # the card played the frequency asked for


def test_card_tone_still_there_at_volume_zero_fails() -> None:
    """The same recording read the wrong way round: the tone where silence must be."""
    swapped = {"card-tone-442": 247000, "card-silent-442": 44, "card-end": 247000}
    verdict = vm_sound.judge_card_tone(CARD_WAV, swapped)
    assert verdict is not None and verdict["outcome"] == "failed"
    assert "at volume 0" in verdict["message"] and "442 Hz at +" in verdict["message"]


# Recorded: the VM's Intel HDA output (first channel) in a healthy `seatcheck vm` run of
# bc3c044 (20261202T171348Z-b13e2d), 3 s of each step of a 1089 Hz card tone: before it (the
# other apps' tones playing), playing, and at volume 0 to 0.3 s past the end mark (the tone
# back at full volume there). A line 6 Hz from the tone plays throughout.
TAIL_WAV = DATA / "vm-card-1089hz-tail.wav"
TAIL_MARKS = {
    "card-before-1089": 44, "card-tone-1089": 264644, "card-silent-1089": 529244,
    "card-end": 795484,
}  # fmt: skip


def test_card_tone_gone_is_judged_by_its_own_level_against_before() -> None:
    """Over the floor, the volume-0 step reads as much as before the tone (both about 10 dB:
    the neighbouring line's leakage); the tone's own windowed level is as before it played."""
    verdict = vm_sound.judge_card_tone(TAIL_WAV, TAIL_MARKS)
    assert verdict is not None and verdict["outcome"] == "passed", verdict["message"]
    wav = verdict["evidence"]["card_wav"]
    assert wav["volume_zero"]["power_db"] >= vm_sound.SILENT_BELOW_DB  # the floor rule alone
    assert wav["volume_zero"]["level_db"] <= wav["before"]["level_db"] + vm_sound.AS_BEFORE_DB
    assert wav["playing"]["level_db"] > wav["before"]["level_db"] + 60


def test_card_tone_still_playing_at_volume_zero_fails_against_before() -> None:
    """The playing step read as if half of it were the volume-0 step."""
    middle = TAIL_MARKS["card-tone-1089"] + 3 * 44100  # 1.5 s of 16-bit mono
    marks = {**TAIL_MARKS, "card-silent-1089": middle, "card-end": TAIL_MARKS["card-silent-1089"]}
    verdict = vm_sound.judge_card_tone(TAIL_WAV, marks)
    assert verdict is not None and verdict["outcome"] == "failed"
    assert "at volume 0" in verdict["message"] and "before:" in verdict["message"]


def test_card_that_wrote_nothing_fails() -> None:
    """A suspended card writes no samples: no samples is not silence."""
    empty = {"card-tone-442": 44, "card-silent-442": 44, "card-end": 44}
    verdict = vm_sound.judge_card_tone(CARD_WAV, empty)
    assert verdict is not None and verdict["outcome"] == "failed"
    assert "0 frames" in verdict["message"]


def test_drm_clients_table() -> None:
    # The table's layout is Linux 6.1's drm_clients_info() ("%20s %5s %3s master a %5s %10s");
    # the row is what the VM's virtio_gpu card0 listed in `seatcheck vm` run
    # 20261129T085559Z-ecc028 (Xorg of the gnome container, master, authenticated, uid 0).
    text = (
        "             command   pid dev master a   uid      magic\n"
        "                Xorg   663   0   y    y     0          0\n"
    )
    rows = drm.parse_clients(text)
    assert [(r.command, r.pid, r.master, r.authenticated, r.uid) for r in rows] == [
        ("Xorg", 663, True, True, 0)
    ]


def test_routes_of_this_host() -> None:
    routes = net.parse_routes((DATA / "proc-net-route-host.txt").read_text())
    assert [str(r) for r in routes] == [
        "default via 192.0.2.1 dev eth0",
        "172.17.0.0/16 dev docker0",
        "192.0.2.0/24 dev eth0",
    ]
    assert [r.is_default for r in routes] == [True, False, False]


def test_routes_need_the_header() -> None:
    with pytest.raises(ProbeError):
        net.parse_routes("eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")


def test_resolvers_and_http_requests() -> None:
    assert net.resolvers("# engine's\nnameserver 127.0.0.11\noptions ndots:0\n") == ["127.0.0.11"]
    log = (
        '172.18.0.4 - - [29/Nov/2026 15:02:11] "GET /drop-ab12 HTTP/1.1" 404 -\n'
        "code 404, message File not found\n"
        '10.77.0.2 - - [29/Nov/2026 15:02:12] "GET / HTTP/1.1" 200 -\n'
    )
    assert net.http_requests(log) == [("172.18.0.4", "/drop-ab12"), ("10.77.0.2", "/")]


def _ip_sections() -> dict[str, str]:
    text = (DATA / "ip-json-split-tunnel.txt").read_text()
    parts = text.split("### ")[1:]
    return {p.split("\n", 1)[0]: p.split("\n", 1)[1].strip() for p in parts}


def test_every_table_finds_the_split_tunnel() -> None:
    found = net.parse_table_routes(_ip_sections()["ip -j -4 route show table all"])
    around = [str(r) for r in found if r.kind == "unicast" and r.dev not in ("wg0", "lo")]
    assert "198.51.100.0/24 dev eth0 table 200" in around
    assert "0.0.0.0/0 via 172.17.0.1 dev eth0 table main" in around
    assert {r.kind for r in found} == {"unicast", "local", "broadcast"}
    assert net.parse_table_routes(_ip_sections()["ip -j -6 route show table all"]) == []


def test_route_get_names_the_interface_chosen() -> None:
    sections = _ip_sections()
    assert net.parse_route_get(sections["ip -j -4 route get 198.51.100.1"]) == "eth0"
    rules = net.parse_ip_json(sections["ip -j -4 rule show"], "ip rule")
    assert [r.get("table") for r in rules] == ["local", "200", "main", "default"]
    with pytest.raises(ProbeError):
        net.parse_route_get("RTNETLINK answers: Network is unreachable")


def test_listening_sockets_keep_their_address() -> None:
    found = net.parse_listening_sockets((DATA / "proc-net-tcp.txt").read_text())
    assert {p for _, p in found} == net.parse_listening_ports(
        (DATA / "proc-net-tcp.txt").read_text()
    )
    assert all(a.count(".") == 3 for a, _ in found)


def test_x11_setup_answer_is_told_apart() -> None:
    # Xvfb 21.1.7's answer to x11.SETUP_REQUEST over its socket in the gnome image (8 bytes).
    assert net.x11_setup_reply(bytes.fromhex("01000b0000005309")).startswith("X11 accepted")
    assert net.x11_setup_reply(b"HTTP/1.1 400") == ""
    assert net.x11_setup_reply(b"") == ""


def test_secret_found_in_the_encodings_stores_write() -> None:
    import base64

    from seatcheck.probes import leaks

    token = b"5f0c2a9e41d7b3880c6e2f19a4d5b7c3e8f1a2b3c4d5e6f7"
    needles = leaks.Needles.of(token)
    for prefix in (b"", b"s", b"se", b"seat:", b'{"auth":"'):
        assert needles.find(base64.b64encode(prefix + token + b"\n")).startswith("base64/")
        assert needles.find(base64.urlsafe_b64encode(prefix + token)).startswith("base64")
    assert needles.find(b"api_token = " + token) == "as is"
    assert needles.find(token.hex().encode()) == "hex"
    assert needles.find(base64.b64encode(b"an unrelated line\n" * 4)) == ""


def test_an_exec_answer_is_taken_only_whole() -> None:
    """The wrapper frames a command's output with a line before and one after it: an answer
    whose head the engine lost (moby#27289; seen once as getent's GID gone, the end marker
    there) is no answer, and the command is asked again."""
    whole = "\x1eseatcheck-start\n44\n\x1eseatcheck-exit=0\n"
    assert execs.unwrap(whole) == "44\n"
    assert execs.unwrap("\x1eseatcheck-exit=0\n") is None  # the head lost
    assert execs.unwrap("\x1eseatcheck-start\n44\n") is None  # the end lost
    assert execs.unwrap("\x1eseatcheck-start\n\x1eseatcheck-exit=1\n") == ""


def test_avc_denials_from_the_kernel_log() -> None:
    denials = selinux.parse_denials((DATA / "selinux/vm-enforcing-boot-avc.txt").read_text())
    assert len(denials) == 13 and not any(d.permissive for d in denials)
    seat = [d for d in denials if d.seat_related]
    assert [d.describe() for d in seat] == [
        "dockerd (dockerd_t) { quotaget } on fs_t filesystem",
        "runc:[2:INIT] (dockerd_t) { getattr } on proc_kcore_t file",
        "runc:[2:INIT] (dockerd_t) { mounton } on proc_kcore_t file",
    ]
    assert seat[1].stamp == 1796702065.26


def test_denials_are_read_from_auditd_where_it_runs(tmp_path: Path) -> None:
    (tmp_path / "proc/812").mkdir(parents=True)
    (tmp_path / "proc/812/comm").write_text("auditd\n")
    log = tmp_path / "audit.log"
    log.write_text((DATA / "selinux/vm-enforcing-boot-avc.txt").read_text())
    text, source = selinux.denial_log(tmp_path / "proc", log)
    assert source == str(log) and len(selinux.parse_denials(text)) == 13
