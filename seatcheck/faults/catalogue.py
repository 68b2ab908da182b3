"""The fault catalogue: every requirement check's fault runs, on the host's virtual seat
(``FAULTS``, stood up by tests/test_faults.py) and in the VM (``VM_FAULTS``, by
``seatcheck vm --faults``). Each entry says how the seat is broken and what must fail."""

from __future__ import annotations

from . import Fault

APPS = ("[chrome]", "[vlc]", "[shell]")

FAULTS = [
    Fault(
        "glx-softpipe",
        images={"chrome": "ENV GALLIUM_DRIVER=softpipe"},
        failing=("test_glx_direct_rendering_on_expected_renderer[chrome]",),
        message=r"expected a renderer other than softpipe in the chrome container; "
        r"found 'softpipe'",
        tolerate=("test_glx_chrome_reports_expected_renderer",),
        why="chromium renders on softpipe too: its own view of the GPU shows the same fault",
    ),
    Fault(
        "glx-driver-removed",
        images={"vlc": "RUN rm /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so"},
        failing=("test_glx_direct_rendering_on_expected_renderer[vlc]",),
        message=r"expected (direct rendering: Yes|glxinfo to report a renderer) in the vlc "
        r"container; found",
        tolerate=(
            "test_freeze_app_resumes_after_unfreeze",
            "test_x11_app_pixels_reach_the_screen[vlc]",
            "test_glx_vlc_video_through_its_opengl_output",
        ),
        why="VLC's own OpenGL video output has no driver either: its clip never shows"
        "; nor does it come back after a freeze",
    ),
    Fault(
        "chrome-gpu-disabled",
        # Debian's chromium wrapper reads /etc/chromium.d: a packaged flag turns its GPU off.
        images={
            "chrome": "RUN echo 'export CHROMIUM_FLAGS=\"$CHROMIUM_FLAGS --disable-gpu\"' "
            ">/etc/chromium.d/seatcheck-fault"
        },
        failing=("test_glx_chrome_reports_expected_renderer",),
        message=r"expected (a renderer matching llvmpipe in chromium's own GPU state|chromium to "
        r"render on the seat's GL|chromium's gpu_compositing, rasterization and 2d_canvas "
        r"enabled); found",
    ),
    Fault(
        "chrome-raster-in-software",
        # A packaged flag against rendering glitches: tiles and canvases drawn on the CPU,
        # while compositing, WebGL and the GL renderer stay on the seat's GL.
        images={
            "chrome": "RUN echo 'export CHROMIUM_FLAGS=\"$CHROMIUM_FLAGS "
            "--disable-gpu-rasterization --disable-accelerated-2d-canvas\"' "
            ">/etc/chromium.d/seatcheck-fault"
        },
        failing=("test_glx_chrome_reports_expected_renderer",),
        message=r"expected chromium's gpu_compositing, rasterization and 2d_canvas enabled; "
        r"found rasterization '[a-z_]+', 2d_canvas '[a-z_]+'",
    ),
    Fault(
        "chrome-page-3d-disabled",
        # A managed policy (a hardening baseline) takes WebGL from every page, while chromium's
        # own featureStatus still says webgl enabled.
        images={
            "chrome": "RUN mkdir -p /etc/chromium/policies/managed && echo "
            "'{\"Disable3DAPIs\": true}' >/etc/chromium/policies/managed/seatcheck-fault.json"
        },
        failing=("test_glx_chrome_reports_expected_renderer",),
        message=r"expected a webgl context for a web page in chromium; found None",
    ),
    Fault(
        "chrome-vulkan-swiftshader",
        # A packaged flag moves Skia onto Vulkan, which here only SwiftShader provides: the GL
        # renderer still names llvmpipe.
        images={
            "chrome": "RUN echo 'export CHROMIUM_FLAGS=\"$CHROMIUM_FLAGS --enable-features=Vulkan "
            "--use-vulkan=swiftshader\"' >/etc/chromium.d/seatcheck-fault"
        },
        failing=("test_glx_chrome_reports_expected_renderer",),
        message=r"expected chromium to (raster and composite on the seat's GL \(or a Vulkan "
        r"driver of the machine's\); found Skia backend '\w*Vulkan\w*' with no Vulkan driver "
        r"of the machine's|render on the seat's GL; found its software fallback .*SwiftShader)",
    ),
    Fault(
        "vlc-gl-output-missing",
        images={"vlc": "RUN rm /usr/lib/x86_64-linux-gnu/vlc/plugins/video_output/libgl_plugin.so"},
        failing=(
            "test_x11_app_pixels_reach_the_screen[vlc]",
            "test_glx_vlc_video_through_its_opengl_output",
        ),
        message=r"expected vlc's window centre to show RGB\(220, 120, 30\) on the screen; found",
        tolerate=("test_freeze_app_resumes_after_unfreeze",),
        why="vlc's clip never shows, so it cannot show again after a freeze",
    ),
    Fault(
        "vlc-no-pulse-output",
        images={
            "vlc": "RUN rm /usr/lib/x86_64-linux-gnu/vlc/plugins/audio_output/libpulse_plugin.so"
        },
        failing=(
            "test_pulse_app_stream_on_gnome_server[vlc]",
            "test_pulse_app_stream_audible[vlc]",
            "test_pulse_volume_zero_from_gnome_silences[vlc]",
        ),
        message=r"expected a sink input from vlc \(vlc on host \w+\) on the gnome container's "
        r"pulse server; found",
        tolerate=(
            "test_freeze_",
            "test_x11_app_pixels_reach_the_screen[vlc]",
            "test_glx_vlc_video_through_its_opengl_output",
        ),
        why="VLC paces its clip by its audio output: with none that works, the clip stalls "
        "(seen here: a white video area)"
        "; the freeze checks find the frozen app's stream first, and vlc has none",
    ),
    Fault(
        "chrome-muted",
        images={
            "chrome": "RUN echo 'export CHROMIUM_FLAGS=\"$CHROMIUM_FLAGS --mute-audio\"' "
            ">/etc/chromium.d/seatcheck-fault"
        },
        failing=("test_pulse_app_stream_audible[chrome]",),
        message=r"expected chrome's own stream to peak above 0.5 on its monitor; found 0.000",
        tolerate=("test_snapshot_chrome_joins_the_seat",),
        why="the snapshot carries the muted chromium, so its tone is silent too",
    ),
    Fault(
        "gpu-node-not-rw",
        node=(0o600, 44),
        failing=tuple(f"test_glx_gpu_nodes_open_read_write{a}" for a in APPS),
        message=r"expected every GPU node to open read-write as seat in chrome; found "
        r"/dev/seatcheck-fault-\w+: .*Permission denied",
    ),
    Fault(
        "x11-socket-not-shared",
        plugin="x11_socket_not_shared",
        failing=("test_x11_shared_socket_in_every_container[shell]",),
        message=r"expected X0 in shell to be the common_tmp volume's socket \(device \d+, inode "
        r"\d+\); found device \d+, inode \d+",
        tolerate=(
            "test_freeze_others_go_on",
            "test_freeze_input_reaches_other_apps",
            "test_x11_app_window_in_window_tree[shell]",
            "test_x11_app_pixels_reach_the_screen[shell]",
            "test_ipc_mit_shm_pattern_reaches_screen",
            "test_glx_direct_rendering_on_expected_renderer[shell]",
        ),
        why="the shell app's X clients dial a dead socket of its own: no window, no glxinfo"
        "; it is the shell app that draws the new colour and takes the keys while vlc is "
        "frozen",
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
        tolerate=(
            "test_snapshot_chrome_",
            "test_freeze_",
            "test_x11_",
            "test_desktop_",
            "test_ipc_mit_shm",
            "test_selinux_shared_volume",
            "test_vpn_",
        ),
        why="seatcheck itself watches the screen through the same socket file, so every check "
        "that looks at the screen fails with it, and the socket's label cannot be read; the "
        "apps' GL and sound still work"
        "; the snapshot's chromium cannot reach X either (no window, no tone), and the freeze "
        "checks' windows are on the same screen; chrome's VPN is no longer its own: chrome is "
        "in gnome's network namespace, so gnome is behind the tunnel too",
    ),
    Fault(
        "x11-on-tcp",
        images={
            "gnome": "RUN sed -i 's/-nolisten tcp/-listen tcp/' /usr/local/bin/seatcheck-xserver"
        },
        failing=("test_x11_server_not_on_tcp[gnome]",),
        message=r"expected no X server answering on TCP in gnome's network namespace; found "
        r"\S+:6000: X11 ",
    ),
    Fault(
        "pulse-tcp-bridge",
        plugin="pulse_tcp_bridge",
        failing=("test_pulse_server_not_on_tcp[shell]",),
        message=r"expected the pulse server not to be reachable over TCP from shell; found "
        r"modules none, 0\.0\.0\.0:34713: pulse server '[^']+' let a client in",
    ),
    Fault(
        "ipc-program-own-namespace",
        plugin="ipc_program_own_namespace",
        failing=("test_ipc_app_shares_x_server_namespace[shell]",),
        message=r"expected every process of the shell container in the X server's IPC "
        r"namespace ipc:\[\d+\] \(Xvfb, pid \d+\); found 'timeout 900 xterm",
    ),
    Fault(
        "x11-tcp-bridge",
        plugin="x11_tcp_bridge",
        failing=("test_x11_server_not_on_tcp[shell]",),
        message=r"expected no X server answering on TCP in shell's network namespace; found "
        r"0\.0\.0\.0:7100: X11 ",
    ),
    Fault(
        "x11-screen-covered",
        plugin="x11_screen_covered",
        failing=tuple(f"test_x11_app_pixels_reach_the_screen{a}" for a in APPS),
        message=r"expected chrome's window centre to show RGB\(40, 90, 200\) on the screen; "
        r"found RGB\(0, 0, 0\)",
        tolerate=(
            "test_snapshot_chrome_starts",
            "test_freeze_",
            "test_ipc_mit_shm_pattern_reaches_screen",
            "test_desktop_screenshot_saved",
        ),
        why="the MIT-SHM stripes are under the same cover, and so is the desktop once the "
        "apps have started (they start before the first check)"
        "; the snapshot's chromium and the freeze checks' colours are under the cover too",
    ),
    Fault(
        "x11-compositor-frozen",
        plugin="x11_compositor_frozen",
        failing=tuple(f"test_x11_app_window_in_window_tree{a}" for a in APPS),
        message=r"expected a window titled 'seatcheck-\w+-\w+', mapped and managed by the "
        r"window manager, within \d+s( \(not 30s: [^)]*\))?; found",
        tolerate=(
            "test_snapshot_chrome_starts",
            "test_freeze_",
            "test_x11_app_pixels_reach_the_screen",
            "test_ipc_mit_shm_pattern",
        ),
        why="an unmanaged window is never mapped, so its pixels cannot reach the screen"
        "; the snapshot's chromium and the freeze checks' windows are never managed either",
    ),
    Fault(
        "ipc-x-server-apart",
        # The X server unshares its IPC namespace: the container's is still shareable and the
        # apps join it, but the server no longer sees their shared memory.
        images={
            "gnome": "RUN sed -i 's|exec /usr/bin/Xvfb|exec /usr/bin/unshare --ipc "
            "/usr/bin/Xvfb|' /usr/local/bin/seatcheck-xserver"
        },
        failing=(
            "test_ipc_app_shares_x_server_namespace[chrome]",
            "test_ipc_app_shares_x_server_namespace[vlc]",
            "test_ipc_app_shares_x_server_namespace[shell]",
            "test_ipc_mit_shm_pattern_reaches_screen",
        ),
        message=r"expected every process of the chrome container in the X server's IPC "
        r"namespace ipc:\[\d+\] \(Xvfb, pid \d+\); found 'sleep infinity' \(pid \d+\) in "
        r"ipc:\[\d+\]",
        tolerate=(
            "test_snapshot_chrome_joins_the_seat",
            "test_x11_app_pixels_reach_the_screen",
        ),
        why="Mesa's software path and VLC put frames with MIT-SHM: they may never reach the screen"
        "; the snapshot's container joins gnome's namespace as the apps do, not the server's",
    ),
    Fault(
        "pulse-muted-at-source",
        images={
            # Found first on PATH: the tone's pacat plays at volume 0 (still /usr/bin/pacat).
            "shell": "RUN printf '#!/bin/sh\\nexec /usr/bin/pacat --volume=0 \"$@\"\\n' "
            ">/usr/local/bin/pacat && chmod +x /usr/local/bin/pacat"
        },
        failing=("test_pulse_app_stream_audible[shell]",),
        message=r"expected shell's own stream to peak above 0.5 on its monitor; found 0.000",
    ),
    Fault(
        "pulse-volume-fought",
        plugin="pulse_volume_fought",
        failing=tuple(f"test_pulse_volume_zero_from_gnome_silences{a}" for a in APPS),
        message=r"expected chrome's stream silent once gnome's server sets its volume to 0 "
        r"\(peak below 0.02\); found peak 0\.[1-9]",
    ),
    Fault(
        "pulse-stream-off-default-sink",
        plugin="pulse_second_sink",
        images={"shell": "ENV PULSE_SINK=seatcheck_fault_sink"},
        failing=("test_pulse_app_stream_on_gnome_server[shell]",),
        message=r"expected shell's stream on the default sink 'seatcheck_default'; "
        r"found 'seatcheck_fault_sink'",
    ),
    Fault(
        "pulse-on-tcp",
        images={
            "gnome": "RUN echo 'load-module module-native-protocol-tcp auth-anonymous=1' "
            ">/etc/pulse/default.pa.d/seatcheck-fault-tcp.pa"
        },
        failing=("test_pulse_server_not_on_tcp[gnome]",),
        message=r"expected the pulse server not to be reachable over TCP from gnome; found "
        r"modules \['module-native-protocol-tcp'\], 0\.0\.0\.0:4713: pulse server '[^']+' let "
        r"a client in",
        tolerate=("test_pulse_server_not_on_tcp",),
        why="the server's TCP module is seen from every container",
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
        "gids-node-regrouped-inside",
        node=(0o660, 44),
        plugin="node_regrouped",
        failing=("test_gids_device_nodes_match[vlc]",),
        message=r"expected /dev/seatcheck-fault-\w+ in vlc to have the host's GID 44 \(video\); "
        r"found 4243 \(no name inside\)",
        tolerate=("test_glx_gpu_nodes_open_read_write[vlc]",),
        why="the seat user is not in the node's new group, so it cannot open it either",
    ),
    Fault(
        "gpu-node-missing-in-app",
        node=(0o660, 44),
        plugin="node_missing",
        failing=("test_glx_gpu_nodes_open_read_write[shell]",),
        message=r"expected every GPU node the profile passes in shell; found no "
        r"/dev/seatcheck-fault-\w+ there",
        tolerate=("test_gids_device_nodes_match[shell]",),
        why="the gids check looks for every node the profile passes too",
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
        "privilege-system-paths-masked",
        plugin="system_paths_masked",
        failing=("test_privilege_system_paths_not_masked[shell]",),
        message=r"expected [/\w, ]*/sys/firmware[/\w, ]* shown in the shell container as "
        r"--privileged shows them; found /sys/firmware masked by a tmpfs ",
    ),
    Fault(
        "secrets-copied-into-layer",
        plugin="secret_copied",
        failing=("test_secrets_in_no_layer_environment_or_image",),
        message=r"expected the run's secret in no image, writable layer, volume or environment "
        r"\(\d+ places, \d+ files, \d+ processes scanned\); found it in \S+-shell's writable "
        r"layer: home/seat/\.secrets-copy/",
    ),
    Fault(
        "secrets-cached-in-tmp",
        plugin="secret_in_volume",
        failing=("test_secrets_in_no_layer_environment_or_image",),
        message=r"expected the run's secret in no image, writable layer, volume or environment "
        r".*; found it in volume \S+common_tmp\S*: \.seatcheck-api\.conf",
    ),
    Fault(
        "secrets-in-process-environment",
        plugin="secret_in_environment",
        failing=("test_secrets_in_no_layer_environment_or_image",),
        message=r"expected the run's secret in no image, writable layer, volume or environment "
        r".*; found it in \S+-shell's process pid \d+ \(sleep\)'s environment",
    ),
    Fault(
        "secrets-kept-in-shared-memory",
        plugin="secret_in_shm",
        failing=("test_secrets_in_no_layer_environment_or_image",),
        message=r"expected the run's secret in no image, writable layer, volume or environment "
        # every app's /dev/shm is gnome's (its IPC namespace): the first container scanned
        r".*; found it in tmpfs \S+-\w+'s /dev/shm: seatcheck-api\.conf",
    ),
    Fault(
        "secrets-base64-credential-store",
        plugin="secret_base64_store",
        failing=("test_secrets_in_no_layer_environment_or_image",),
        message=r"expected the run's secret in no image, writable layer, volume or environment "
        r".*; found it in \S+-shell's writable layer: home/seat/\.config/seatcheck-auth "
        r"\(base64/2\)",
    ),
    Fault(
        "secrets-bound-writable",
        plugin="secret_bound_writable",
        failing=("test_secrets_bound_read_only_for_the_seat_user",),
        message=r"expected /home/seat/\.secrets read-only in the shell app \(even for root\); "
        r"found the write allowed",
    ),
    Fault(
        "secrets-noted-in-facts",
        plugin="secret_in_facts",
        failing=("post::test_secrets_not_in_reports_or_logs",),
        message=r"expected the run's secret in no report or log of the run \(\d+ files scanned "
        r"after the report was written\); found it in the run's reports: (facts\.json|report)",
    ),
    Fault(
        "freeze-app-holds-x-grab",
        images={
            "vlc": "RUN apt-get update && apt-get install -y --no-install-recommends "
            "python3 && rm -rf /var/lib/apt/lists/*"
        },
        plugin="freeze_x_grab",
        failing=("test_freeze_others_go_on",),
        message=r"expected the X server to answer within 5s while vlc is frozen; found ",
    ),
    Fault(
        "freeze-app-holds-keyboard",
        images={
            "vlc": "RUN apt-get update && apt-get install -y --no-install-recommends "
            "python3 && rm -rf /var/lib/apt/lists/*"
        },
        plugin="freeze_keyboard_grab",
        failing=("test_freeze_input_reaches_other_apps",),
        message=r"expected no pointer or keyboard grab while vlc is frozen; found keyboard "
        r"\(already grabbed\)",
    ),
    Fault(
        "freeze-stall-mutes-app",
        plugin="freeze_stall_mutes_app",
        failing=("test_freeze_app_resumes_after_unfreeze",),
        message=r"expected vlc's stream to resume above 0\.5 within \d+s of unfreezing after "
        r"\d+s frozen; found 0\.0",
    ),
    Fault(
        "snapshot-keeps-stale-profile-lock",
        images={"chrome": "RUN rm /etc/chromium.d/seatcheck-stale-locks"},
        failing=("test_snapshot_chrome_starts_chromium_on_the_carried_profile",),
        message=r"expected the window 'seatcheck-chrome-\w+' drawn by chromium in the snapshot "
        r"\(host \w+\); found it drawn by host \w+ \(chromium there said: ",
        tolerate=("test_snapshot_chrome_joins_the_seat",),
        why="the snapshot's chromium never runs, so it has no stream to join the seat with",
    ),
    Fault(
        "snapshot-home-in-a-volume",
        images={"chrome": "VOLUME /home/seat"},
        failing=("test_snapshot_chrome_carries_its_state",),
        message=r"expected the snapshot to hold ~/seatcheck-state = \w+ written in the live "
        r"chrome container; found ",
    ),
    Fault(
        "snapshot-cache-in-shared-tmp",
        # A cache tweak: the seat user's ~/.cache (chromium's profiles) kept in /tmp, which
        # is the shared common_tmp volume: a snapshot on the same seat still finds it there.
        images={
            "chrome": "RUN printf '%s\\n' 'mkdir -p /tmp/.cache-$(id -u)' "
            '\'[ -L "$HOME/.cache" ] || { rm -rf "$HOME/.cache"; '
            'ln -s /tmp/.cache-$(id -u) "$HOME/.cache"; }\' >/etc/chromium.d/00-cache-in-tmp'
        },
        failing=("test_snapshot_chrome_carries_its_state",),
        message=r"expected the snapshot to carry chromium's profile /home/seat/\.cache/\S+; "
        r"found ",
        tolerate=(
            "test_snapshot_chrome_starts_chromium_on_the_carried_profile",
            "test_snapshot_chrome_joins_the_seat",
        ),
        why="the snapshot's chromium opens the live one's profile in the shared /tmp, which the "
        "live chromium holds",
    ),
    Fault(
        "snapshot-private-ipc",
        plugin="snapshot_private_ipc",
        failing=("test_snapshot_chrome_joins_the_seat",),
        tolerate=("test_snapshot_chrome_starts_chromium_on_the_carried_profile",),
        why="chromium draws through MIT-SHM, which needs the X server's IPC namespace",
        message=r"expected the snapshot's container in the X server's IPC namespace "
        r"ipc:\[\d+\]; found ipc:\[\d+\]",
    ),
    Fault(
        "snapshot-gnome-x-lock-in-layer",
        plugin="snapshot_gnome_x_lock",
        failing=("test_snapshot_gnome_holds_no_live_session",),
        message=r"expected the gnome snapshot to carry nothing of the live session; found "
        r"\['/var/tmp/\.X0-lock'\]",
    ),
    Fault(
        "vpn-kill-switch-leaks",
        plugin="vpn_route_leaks",
        failing=("test_vpn_tunnel_drop_leaks_nothing", "test_vpn_chrome_routes_through_the_tunnel"),
        message=r"expected the canary on the seat network to see nothing from chrome "
        r"\(\S+\) once its tunnel dropped; found \[\('\S+', '/drop-[0-9a-f]+'\)",
    ),
    Fault(
        "vpn-split-tunnel",
        plugin="vpn_split_tunnel",
        failing=("test_vpn_chrome_routes_through_the_tunnel",),
        message=r"expected no table in chrome's namespace to route around the tunnel \(wg0\) "
        r"but to [\d., ]+; found 198\.51\.100\.0/24 dev eth0 table 200",
        tolerate=("test_vpn_server_answers_chrome_alone",),
        why="the VPN's public test address is in the split range: chromium's load of it leaves "
        "by eth0 and meets nobody",
    ),
    Fault(
        "vpn-chrome-env-proxy",
        # An image that sets the package cache as everyone's proxy (a cache tweak): chromium
        # honours it and sends page loads to squid, around the tunnel.
        # The corporate form: private names and ranges spared, the rest to the proxy.
        images={
            "chrome": "ENV http_proxy=http://rpmcache:3128 "
            "no_proxy=localhost,.test,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
        },
        # (once the tunnel drops, the proxy's name finds no resolver: nothing leaks then)
        failing=("test_vpn_server_answers_chrome_alone",),
        message=r"expected chromium in chrome to load http://\S+:8080/ \(the VPN's test "
        r"server\) with its token; found .*squid saw chrome ask for \[.*'TCP_DENIED/403 \d+ B "
        r"GET http://198\.51\.100\.80:8080/'",
        tolerate=("test_vpn_tunnel_drop_leaks_nothing",),
        why="chromium's own requests went to the cache too (clients2.google.com, seen): the "
        "drop check counts every request of chrome's at squid since the VPN came up",
    ),
    Fault(
        "vpn-dns-not-switched",
        plugin="vpn_dns_not_switched",
        failing=("test_vpn_dns_through_the_vpn_resolver",),
        message=r"expected chrome's resolver to be the VPN's \(10\.77\.0\.1\) and to find "
        r"vpn\.seatcheck\.test at \S+; found nameservers \['127\.0\.0\.11'\]",
        tolerate=("test_vpn_server_answers_chrome_alone",),
        why="chromium finds the VPN's test server by the name only the VPN's resolver knows",
    ),
    Fault(
        "vpn-server-on-seat-network",
        plugin="vpn_server_on_seat_network",
        failing=("test_vpn_server_answers_chrome_alone",),
        message=r"expected the VPN's test server \([\d., ]+, port 8080\) out of reach of every "
        r"other seat container; found it answered gnome -> [\d.]+, vlc -> [\d.]+, shell -> ",
    ),
    Fault(
        "vpn-no-tun-device",
        plugin="vpn_no_tun",
        failing=("test_vpn_chrome_routes_through_the_tunnel",),
        message=r"expected chrome's VPN up; found set-up of role 'vpn-client' failed: make a TUN "
        r"device: /dev/net/tun is missing",
        tolerate=("test_vpn_",),
        why="every VPN check needs the tunnel; each fails with the same one message",
    ),
    Fault(
        "selinux-private-volume-label",
        plugin="selinux_private_label",
        failing=tuple(
            f"test_selinux_shared_volume_not_private[{r}]"
            for r in ("gnome", "chrome", "vlc", "shell")
        ),
        message=r"expected the seat's files in the shared /tmp to carry a shared label in gnome "
        r"\(level s0, as :z gives\); found the private label\(s\) /tmp: "
        r"'system_u:object_r:container_file_t:s0:c12,c34'",
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
        tolerate=(
            "test_squid_second_fetch_is_a_hit",
            "test_squid_index_files_never_stale",
            "test_squid_real_index_files_revalidated",
        ),
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
        "squid-real-mirror-kept-fresh",
        # A cache tweak for faster builds: everything from the real mirror kept for a day,
        # ahead of the index rule (the test mirror, reached by address, is not matched).
        images={
            "squid": "RUN sed -i '0,/^refresh_pattern/s//refresh_pattern -i "
            "^http:\\/\\/deb\\.debian\\.org\\/ 1440 100% 1440 override-expire override-lastmod "
            "ignore-reload\\nrefresh_pattern/' /etc/squid/squid.conf"
        },
        failing=("test_squid_real_index_files_revalidated",),
        message=r"expected the real mirror's index files revalidated with the mirror on every "
        r"fetch \(TCP_MISS or TCP_REFRESH_\*\); found TCP_(MEM_)?HIT/200",
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
        # every build of the run bypasses it: the first role's is named
        message=r"expected the build of the seat's \w+ image \(\S+, \S+\) to fetch its "
        r"packages through the cache; found [1-9]\d* apt fetches and 0 requests at squid "
        r"\(proxy: None\)",
    ),
]


# In the VM: after the healthy run the same boot stands up a seat per fault, limited to the
# checks it concerns (``select``).
VM_FAULTS = (
    Fault(
        "xorg-killed", plugin="vm_xorg_killed", select="test_teardown", alone=True,
        failing=("test_teardown_console_as_before",),
        message=r"expected the stopped seat to leave the console as before the run .* found "
        r".*tty\d+: KD_GRAPHICS",
        tolerate=("test_teardown_common_tmp_has_no_stale_servers",),
        why="a killed X server leaves its lock and socket in common_tmp",
    ),
    Fault(
        "card-node-regrouped", plugin="vm_card_regrouped", select="test_gids_device_nodes_match",
        failing=("test_gids_device_nodes_match[gnome]",),
        message=r"expected /dev/snd/controlC0 in gnome to have the host's GID \d+ \(audio\); "
        r"found 4243",
    ),
    Fault(
        "pulse-null-sink", plugin="vm_pulse_null_sink",
        select="test_pulse_tone_reaches_the_sound_card",
        failing=("test_pulse_tone_reaches_the_sound_card",),
        message=r"expected the card tone on a sound card's sink \(device.api alsa\); found "
        r"seatcheck_fault_null",
    ),
    Fault(
        "xorg-glamor-off", plugin="vm_xorg_glamor_off", select="test_xorg_driver_in_use",
        failing=("test_xorg_driver_in_use",),
        message=r"expected modesetting to initialise glamor \(GL-accelerated 2D\); found no "
        r"'glamor initialized' in the X log",
        tolerate=("test_glx_direct_rendering_on_expected_renderer",),
        why="without glamor modesetting offers no DRI3, and every container's GL falls back "
        "to llvmpipe (measured 2026-12-08: 'llvmpipe (LLVM 15.0.6, 128 bits)' in gnome, vlc "
        "and shell)",
    ),
    Fault(
        "software-gl-forced", plugin="vm_software_gl_forced", profile="vm",
        select="test_glx_direct_rendering_on_expected_renderer",
        failing=("test_glx_direct_rendering_on_expected_renderer[vlc]",),
        message=r"expected a renderer other than llvmpipe, softpipe, swrast in the vlc "
        r"container; found 'llvmpipe",
    ),
    Fault(
        "render-node-regrouped", plugin="vm_render_node_regrouped",
        select="test_gids_device_nodes_match or test_glx_gpu_nodes_open_read_write",
        failing=("test_gids_device_nodes_match[shell]",),
        message=r"expected /dev/dri/renderD128 in shell to have the host's GID \d+ \(video\); "
        r"found 4244",
        tolerate=("test_glx_gpu_nodes_open_read_write[shell]",),
        why="the seat user cannot open a node of a group it is not in",
    ),
    # GL does not fall back to llvmpipe without the app's render node (measured 2026-12-08:
    # vlc's glxinfo still said "virgl (LLVMPIPE ...)"): DRI3 has the X server open the node
    # and pass its descriptor to the client. So the node checks name it, and the renderer
    # check is judged as one that must pass.
    Fault(
        "render-node-missing", plugin="vm_render_node_missing", profile="vm",
        select="test_gids_device_nodes_match or test_glx_gpu_nodes_open_read_write "
        "or test_glx_direct_rendering_on_expected_renderer",
        failing=("test_glx_gpu_nodes_open_read_write[vlc]",),
        message=r"expected every GPU node the profile passes in vlc; found no "
        r"/dev/dri/renderD128 there",
        tolerate=("test_gids_device_nodes_match[vlc]",),
        why="the GID check finds the same node missing",
    ),
    # SELinux enforcing (the VM's disk is labelled and boots with security=selinux).
    Fault(
        "selinux-tmp-relabelled-private", plugin="vm_selinux_tmp_private",
        select="test_selinux_shared_volume_not_private",
        failing=("test_selinux_shared_volume_not_private[gnome]",),
        message=r"expected the seat's files in the shared /tmp to carry a shared label in gnome "
        r"\(level s0, as :z gives\); found the private label\(s\) /tmp: "
        r"'system_u:object_r:container_file_t:s0:c\d+,c\d+'",
        tolerate=("test_selinux_shared_volume_not_private",),
        why="the apps see the same relabelled files through the same volume (an app started "
        "after the relabel, with the seat's :z, makes them shared again: measured, its check "
        "then passes)",
    ),
    Fault(
        # Alone: the confined shell reaches neither gnome's X server nor its pulse server
        # (measured: beside pulse-null-sink the card tone never started). Beside xorg-killed
        # it changed how X's VT was left (tty2 in KD_TEXT, not KD_GRAPHICS), so not there.
        "selinux-app-own-level", plugin="vm_selinux_app_level", alone=True,
        select="test_selinux_app_process_label_matches_gnome",
        failing=("test_selinux_app_process_label_matches_gnome[shell]",),
        message=r"expected shell's process label to fit gnome's; found the app's level "
        r"s0:c5,c6 differs from gnome's s0",
    ),
    Fault(
        "selinux-render-node-relabelled", plugin="vm_selinux_host_relabel",
        select="test_selinux_host_paths_keep_labels",
        failing=("test_selinux_host_paths_keep_labels",),
        message=r"expected host paths bound into the seat to keep their labels; found "
        r"/dev/dri/renderD128: system_u:object_r:dri_device_t:s0 -> "
        r"system_u:object_r:container_file_t:s0",
    ),
)  # fmt: skip
# The VM's seats take one fault more than the host's: a VM seat costs more than a minute of
# emulation.
VM_SEAT_SIZE = 4
