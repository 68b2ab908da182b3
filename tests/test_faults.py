"""Every requirement check can fail: each fault breaks a healthy seat in exactly one way, and
the check guarding that requirement must fail with a message saying what was expected and what
was found, while the checks of the other requirements still pass.

Each case is a real run of the unchanged virtual suite, broken through an image override
(``--seatcheck-image``), a fault plugin (``-p faults.<name>``, see tests/faults/) or a profile
that passes a device node made for the test.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from docker import DockerClient

from conftest import ROOT, SuiteRun
from seatcheck.images import ImageBuilder

APPS = ("[chrome]", "[vlc]", "[shell]")


@dataclass(frozen=True)
class Fault:
    name: str
    failing: tuple[str, ...]  # checks that must fail (substrings of test ids)
    message: str  # regex the first failing check's message must match
    plugin: str = ""  # tests/faults/<plugin>.py
    images: dict[str, str] = field(default_factory=dict)  # role -> Dockerfile lines on top
    node: tuple[int, int] | None = None  # (mode, gid) of a device node the profile passes
    tolerate: tuple[str, ...] = ()  # other checks allowed to fail: they need the broken part
    why: str = ""  # why those others depend on it
    # role -> Dockerfile lines appended to a copy of the shipped recipe; the run builds it
    # (its images tagged seatcheck-test/<name>/<role>, the shipped base image under them)
    recipes: dict[str, str] = field(default_factory=dict)
    own_state: bool = False  # the run keeps build records in a state folder of its own


FAULTS = [
    Fault(
        "glx-softpipe",
        images={"chrome": "ENV GALLIUM_DRIVER=softpipe"},
        failing=("test_glx_direct_rendering_on_expected_renderer[chrome]",),
        message=r"expected a renderer other than softpipe in the chrome container; "
        r"found 'softpipe'",
    ),
    Fault(
        "glx-driver-removed",
        images={"vlc": "RUN rm /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so"},
        failing=("test_glx_direct_rendering_on_expected_renderer[vlc]",),
        message=r"expected (direct rendering: Yes|glxinfo to report a renderer) in the vlc "
        r"container; found",
    ),
    Fault(
        "gpu-node-not-rw",
        node=(0o600, 44),
        failing=tuple(f"test_glx_gpu_nodes_open_read_write{a}" for a in APPS),
        message=r"expected every GPU node to open read-write as seat in chrome; found "
        r"/dev/seatcheck-fault-\w+: .*Permission denied",
    ),
    Fault(
        "x11-socket-dir-mode",
        plugin="x11_dir_mode",
        failing=tuple(
            f"test_x11_shared_socket_in_every_container[{r}]"
            for r in ("gnome", "chrome", "vlc", "shell")
        ),
        message=r"expected /tmp/.X11-unix owned by root with mode 1777 in gnome; "
        r"found owner 0 mode 755",
    ),
    Fault(
        "x11-abstract-socket-only",
        plugin="x11_abstract_only",
        failing=("test_x11_client_without_network_connects",),
        message=r"expected xdpyinfo in a container with no network to reach :0 through "
        r"/tmp/.X11-unix/X0; found .*exited 1",
        tolerate=("test_x11_", "test_desktop_"),
        why="seatcheck itself watches the screen through the same socket file, so every check "
        "that looks at the screen fails with it; the apps' GL and sound still work",
    ),
    Fault(
        "x11-on-tcp",
        images={
            "gnome": "RUN sed -i 's/-nolisten tcp/-listen tcp/' "
            "/etc/systemd/system/seatcheck-xserver.service"
        },
        failing=("test_x11_server_not_on_tcp",),
        message=r"expected the X server not to listen on TCP; found port\(s\) \[6000\]",
    ),
    Fault(
        "x11-screen-covered",
        plugin="x11_screen_covered",
        failing=("test_x11_gl_pixels_reach_the_screen",),
        message=r"expected the GL window's centre to show RGB\(23, 181, 97\) on the screen; "
        r"found RGB\(0, 0, 0\)",
    ),
    Fault(
        "x11-compositor-frozen",
        plugin="x11_compositor_frozen",
        failing=tuple(f"test_x11_app_window_in_window_tree{a}" for a in APPS),
        message=r"expected a window titled 'seatcheck-\w+-\w+', mapped and managed by the "
        r"window manager, within 30s; found",
        tolerate=("test_x11_gl_pixels_reach_the_screen",),
        why="an unmanaged GL window is never mapped, so its pixels cannot reach the screen",
    ),
    Fault(
        "ipc-app-private",
        plugin="ipc_private_shell",
        failing=("test_ipc_app_shares_gnome_namespace[shell]", "test_ipc_mit_shm_from_app"),
        message=r"expected the shell container in the gnome container's IPC namespace "
        r"ipc:\[\d+\]; found ipc:\[\d+\] \(IPC mode 'private'\)",
        tolerate=("test_x11_gl_pixels_reach_the_screen",),
        why="Mesa's software path puts frames with MIT-SHM: from another IPC namespace they "
        "never reach the screen (seen here: the window stays unpainted)",
    ),
    Fault(
        "ipc-gnome-not-shareable",
        plugin="ipc_gnome_private",
        failing=("test_ipc_gnome_namespace_is_shareable",),
        message=r"expected the gnome container's IPC mode to be shareable; found 'private'",
        tolerate=(
            *APPS,
            "test_pulse_",
            "test_ipc_mit_shm",
            "test_x11_client_without_network",
            "test_x11_gl_pixels",
            # the cache's client is the shell app (python3, apt as a seat app has it)
            "test_squid_second_fetch_is_a_hit",
            "test_squid_index_files_never_stale",
            "test_squid_refuses_clients_outside_seat",
        ),  # fmt: skip
        why="no app container can join a private IPC namespace, so nothing that needs an app runs",
    ),
    Fault(
        "pulse-muted-at-source",
        images={
            "shell": "RUN rm /usr/bin/paplay && printf '#!/bin/bash\\nexec -a paplay "
            '/usr/bin/pacat --volume=0 "$@"\\n\' >/usr/bin/paplay && chmod +x /usr/bin/paplay'
        },
        failing=("test_pulse_app_stream_audible",),
        message=r"expected the tone's peak on the sink monitor above 0.5; found 0.000",
    ),
    Fault(
        "pulse-other-stream-loud",
        plugin="pulse_other_stream_loud",
        failing=("test_pulse_volume_zero_from_gnome_silences",),
        message=r"expected silence on sink '\w+' once the stream's volume is 0 \(peak below "
        r"0.02\); found peak 0\.[1-9]|found peak 1\.0",
    ),
    Fault(
        "pulse-stream-off-default-sink",
        plugin="pulse_second_sink",
        images={"shell": "ENV PULSE_SINK=seatcheck_fault_sink"},
        failing=("test_pulse_app_stream_on_gnome_server",),
        message=r"expected the stream on the default sink 'seatcheck_default'; "
        r"found 'seatcheck_fault_sink'",
    ),
    Fault(
        "pulse-on-tcp",
        images={
            "gnome": "RUN echo 'load-module module-native-protocol-tcp auth-anonymous=1' "
            ">/etc/pulse/default.pa.d/seatcheck-fault-tcp.pa"
        },
        failing=("test_pulse_server_not_on_tcp",),
        message=r"expected the pulse server not to be reachable over TCP; found modules "
        r"\['module-native-protocol-tcp'\], port 4713 listening",
    ),
    Fault(
        "gids-image-audio-differs",
        images={"chrome": "RUN groupmod -g 4263 audio"},
        failing=("test_gids_groups_match_host[chrome]",),
        message=r"expected the chrome image's groups to have the host's GIDs; "
        r"found audio: host 29, image 4263",
    ),
    Fault(
        "gids-seat-not-in-video",
        images={"vlc": "RUN gpasswd -d seat video"},
        failing=("test_gids_seat_user_in_audio_and_video[vlc]",),
        message=r"expected seat in audio and video in vlc; found groups \[[\d, ]+\], "
        r"missing \{'video': 44\}",
    ),
    Fault(
        "gids-device-group-not-seats",
        node=(0o666, 4242),
        failing=tuple(
            f"test_gids_device_nodes_match[{r}]" for r in ("gnome", "chrome", "vlc", "shell")
        ),
        message=r"expected GID 4242 of /dev/seatcheck-fault-\w+ \(no name inside, no name on "
        r"the host\) among seat's groups in gnome; found \[",
    ),
    Fault(
        "selinux-private-volume-label",
        plugin="selinux_private_label",
        failing=("test_selinux_shared_volume_not_private",),
        message=r"expected the shared /tmp volume to carry a shared label \(level s0, as :z "
        r"gives\); found the private label 'system_u:object_r:container_file_t:s0:c12,c34'",
    ),
    Fault(
        "selinux-private-mount",
        plugin="selinux_private_mount",
        failing=("test_selinux_shared_mounts_use_z[vlc]",),
        message=r"expected the shared /tmp mounted with :z \(shared label\) in vlc; "
        r"found mode 'rw,Z'",
    ),
    Fault(
        "selinux-host-path-relabelled",
        plugin="selinux_host_relabel",
        node=(0o660, 44),
        failing=("test_selinux_host_paths_keep_labels",),
        message=r"expected host paths bound into the seat to keep their labels; found "
        r"/dev/seatcheck-fault-\w+: none -> system_u:object_r:container_file_t:s0",
    ),
    Fault(
        "squid-not-rpmcache",
        plugin="squid_alias_missing",
        failing=("test_squid_answers[gnome]", "test_squid_answers[shell]"),
        message=r"expected apt-get update in the gnome container to fetch its index files "
        r"through http://rpmcache:3128; found .*rpmcache",
        tolerate=("test_squid_second_fetch_is_a_hit", "test_squid_index_files_never_stale"),
        why="they reach the cache by the same name",
    ),
    Fault(
        "squid-stores-nothing",
        images={"squid": "RUN echo 'cache deny all' >> /etc/squid/squid.conf"},
        failing=("test_squid_second_fetch_is_a_hit",),
        message=r"expected the second fetch of \S+/hello_\S+\.deb through rpmcache to be "
        r"served from the cache \(TCP_HIT or TCP_MEM_HIT\); found TCP_MISS/200",
    ),
    Fault(
        "squid-index-files-cached",
        # Without the index rule, squid's default heuristic keeps an hour-old InRelease fresh.
        images={"squid": "RUN sed -i '/(dists|repodata)/d' /etc/squid/squid.conf"},
        failing=("test_squid_index_files_never_stale",),
        message=r"expected InRelease fetched through rpmcache after the mirror changed to be "
        r"the new one \(Version: 2\); found HTTP 200.*Version: 1.*TCP_(MEM_)?HIT",
    ),
    Fault(
        "squid-open-to-all",
        images={
            "squid": "RUN sed -i 's/^http_access allow seat_clients$/http_access allow all/' "
            "/etc/squid/squid.conf"
        },
        failing=("test_squid_refuses_clients_outside_seat",),
        message=r"expected squid to refuse a client on \S+ outside the seat network "
        r"[0-9./]+ \(HTTP 403\); found HTTP 200",
    ),
    Fault(
        "build-bypasses-cache",
        plugin="build_bypasses_cache",
        recipes={"shell": "RUN apt-get update && apt-get install -y --no-install-recommends hello"},
        own_state=True,
        failing=("test_squid_build_hit_ratio_in_report",),
        message=r"expected the last image build \(shell, \S+\) to fetch its packages through "
        r"the cache; found [1-9]\d* apt fetches and 0 requests at squid \(proxy: None\)",
    ),
]


@pytest.fixture
def device_profile(tmp_path: Path) -> Iterator[Callable[[int, int], Path]]:
    """A copy of the virtual profile that passes one device node made for the test
    (the kernel's null device under a new name, with the mode and group asked for)."""
    made: list[Path] = []

    def make(mode: int, gid: int) -> Path:
        node = Path(f"/dev/seatcheck-fault-{secrets.token_hex(3)}")
        os.mknod(node, stat.S_IFCHR | mode, os.makedev(1, 3))
        os.chown(node, 0, gid)
        os.chmod(node, mode)
        made.append(node)
        text = (ROOT / "suites/virtual/profile.toml").read_text()
        text = text.replace("gpu_devices = []", f'gpu_devices = ["{node}"]')
        profile = tmp_path / "virtual" / "profile.toml"
        profile.parent.mkdir(exist_ok=True)
        profile.write_text(text)
        os.environ["SEATCHECK_FAULT_NODE"] = str(node)
        return profile

    yield make
    os.environ.pop("SEATCHECK_FAULT_NODE", None)
    for node in made:
        node.unlink(missing_ok=True)


def _recipes_copy(target: Path, extra: dict[str, str]) -> Path:
    """The shipped recipes, with lines appended to some roles' Dockerfiles."""
    shutil.copytree(ROOT / "dockerfiles", target)
    for role, lines in extra.items():
        with (target / role / "Dockerfile").open("a") as fh:
            fh.write(f"\n{lines}\n")
    return target


def _untag(client: DockerClient, prefix: str) -> None:
    """Remove the tags a fault's run made (the images the shipped tags share stay)."""
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(prefix + "/"):
                client.images.remove(tag)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_makes_its_check_fail(
    fault: Fault,
    request: pytest.FixtureRequest,
    builder: ImageBuilder,
    build_image: Callable[[str, str], str],
    run_suite: Callable[..., SuiteRun],
    device_profile: Callable[[int, int], Path],
    client: DockerClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args: list[str] = []
    if fault.recipes:
        prefix = f"seatcheck-test/{fault.name}"
        args += [
            f"--seatcheck-dockerfiles={_recipes_copy(tmp_path / 'dockerfiles', fault.recipes)}",
            f"--seatcheck-tag-prefix={prefix}",
            f"--seatcheck-base-image={builder.base_image()}",
        ]
        request.addfinalizer(lambda: _untag(client, prefix))
    if fault.own_state:
        monkeypatch.setenv("SEATCHECK_STATE_DIR", str(tmp_path / "state"))
    for role, lines in fault.images.items():
        shipped = builder.role_image(role)
        tag = build_image(
            f"seatcheck-test/{fault.name}-{role}:latest", f"FROM {shipped}\n{lines}\n"
        )
        args.append(f"--seatcheck-image={role}={tag}")
    if fault.plugin:
        monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests"))
        args += ["-p", f"faults.{fault.plugin}"]
    if fault.node:
        args.append(f"--seatcheck-profile={device_profile(*fault.node)}")

    run = run_suite(*args)

    assert run.leftovers == [], f"the run left {run.leftovers}"
    results = run.results["results"]
    assert results, f"the run recorded no results:\n{run.output[-3000:]}"
    for target in fault.failing:
        outcome = run.outcome(target)
        assert outcome["outcome"] == "failed", f"{target} did not fail: {outcome}"
    first = run.outcome(fault.failing[0])["message"]
    assert re.search(fault.message, first), f"unexpected message for {fault.failing[0]}: {first}"
    assert "expected" in first and "found" in first
    others = [
        r for r in results
        if r["outcome"] in ("failed", "error")
        and not any(t in r["test"] for t in fault.failing + fault.tolerate)
    ]  # fmt: skip
    assert not others, "other requirements failed too: " + "; ".join(
        f"{r['test']}: {r['message'][:300]}" for r in others
    )
    passed_families = {
        m.group(1) for r in results if r["outcome"] == "passed"
        for m in [re.search(r"::test_([a-z0-9]+)_", r["test"])] if m
    }  # fmt: skip
    assert {"glx", "x11", "gids", "selinux"} <= passed_families, passed_families
