"""NVIDIA's user-space where the host has none (the recipe's way): Debian's packages of the
kernel module's exact version installed in a container at run time. There is no NVIDIA GPU
here, so the module's version is taken as Debian's own; what is proven is the plan and that
the pinned install gives that version's libraries in a real container."""

from __future__ import annotations

import re
from pathlib import Path

from docker import DockerClient

from seatcheck import nvidia, profile
from seatcheck.engine.labels import labels
from seatcheck.images import ImageBuilder


def test_debian_packages_of_the_modules_version_are_installed_at_run_time(
    client: DockerClient, builder: ImageBuilder
) -> None:
    candidate = nvidia.debian_candidate()
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?-\S+", candidate), candidate
    version = nvidia.upstream_version(candidate)
    plan = nvidia.user_space_for(profile.find("nvidia"), module=version)
    assert plan.debian_version == candidate and not plan.files, plan
    container = client.containers.run(
        builder.role_image("appbase"), ["sleep", "600"], detach=True,
        labels=labels("test-nvidia-userspace", "shell"),
    )  # fmt: skip
    try:
        install = container.exec_run(["sh", "-c", plan.install("shell")])
        assert install.exit_code == 0, install.output.decode(errors="replace")[-1500:]
        # What GL and NVML clients load (Debian links them through its alternatives).
        found = container.exec_run(
            ["sh", "-c", "readlink -f /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 "
                         "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1; command -v nvidia-smi"]
        )  # fmt: skip
        lines = found.output.decode(errors="replace").split()
        assert [Path(p).name for p in lines[:2]] == [
            f"libGLX_nvidia.so.{version}",
            f"libnvidia-ml.so.{version}",
        ], lines
        assert lines[2:] == ["/usr/bin/nvidia-smi"], lines
    finally:
        container.remove(force=True)
