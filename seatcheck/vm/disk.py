"""The VM's disk, made without a registry and without mounting anything.

debootstrap makes the root (Debian's kernel, systemd with getty on tty1, docker.io, python3);
a second engine on the host, whose data root is the root's ``/var/lib/docker``, receives the
seat's images (``save`` from the host's engine, ``load`` into it); the checkout and the
harness's Python packages are copied in; ``mkfs.ext4 -d`` turns the folder into a disk image
(it keeps the ``trusted.overlay.*`` attributes and whiteouts overlay2 needs). The disk is cached
under the state dir by the hash of its recipe and of the image ids, like the images are.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
from docker import DockerClient

from .. import cache, engine
from ..errors import SetupError
from ..waits import WaitTimeout, retry
from . import tracking

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# What the VM itself runs: the seat is in containers, so no X or GNOME out here.
PACKAGES = (
    "linux-image-amd64", "systemd", "systemd-sysv", "udev", "dbus", "kmod", "libpam-systemd",
    "docker.io", "iproute2", "python3", "python3-venv", "alsa-utils", "ca-certificates",
    "kbd", "procps", "libpulse0", "debootstrap", "umockdev",
    # SELinux, enforcing: Debian's reference policy, and what builds its container modules
    "selinux-policy-default", "selinux-policy-dev", "selinux-policy-src", "selinux-utils",
    "policycoreutils", "make", "zstd",
)  # fmt: skip
SIZE = "16G"  # sparse: only what is written takes room on the host
SITE = "/opt/seatcheck/site-packages"  # the harness's Python packages in the VM
HELPER_SOCKET = "/run/seatcheck-vm-engine.sock"
Progress = Callable[[str], None]

# Debian 12's selinux-policy-default leaves refpolicy's container and docker modules out
# (absent from its modules.conf: Debian bug #984879, refpolicy issue #624), while its
# lxc_contexts names container_t: dockerd --selinux-enabled then asks for labels the kernel
# rejects. Both modules are built from the same release's sources, which Debian ships in
# selinux-policy-src, with selinux-policy-dev's Makefile (the interfaces are already in its
# headers: only .te and .fc are copied), and loaded into the store with the rest, with
# seatcheck's own local module (``LOCAL_MODULE``).
SELINUX_MODULES = """set -e
build=$(mktemp -d)
tar --zstd -xf /usr/src/selinux-policy-src.tar.zst -C "$build"
src="$build/selinux-policy-src/policy/modules/services"
cd "$build"
cp "$src/container.te" "$src/container.fc" "$src/docker.te" "$src/docker.fc" .
cp /tmp/seatcheck.te .
make -s -f /usr/share/selinux/devel/Makefile container.pp docker.pp seatcheck.pp
semodule -n -s default -i container.pp docker.pp seatcheck.pp
rm /tmp/seatcheck.te
sed -i 's/^SELINUX=.*/SELINUX=enforcing/; s/^SELINUXTYPE=.*/SELINUXTYPE=default/' \
  /etc/selinux/config
cd / && rm -rf "$build"
"""
# What Docker and the seat need beyond those two modules, each rule with the denial it answers.
LOCAL_MODULE = Path(__file__).parent / "selinux" / "seatcheck.te"
# dockerd labels each container (container_t at a level of its own) and its files.
DOCKER_DAEMON = '{"selinux-enabled": true}\n'
PRINTK_UNLIMITED = "kernel.printk_ratelimit = 0\n"

# First boot: the network by DHCP (qemu's user-mode net), the job disk, the serial marker.
NETWORK_UNIT = "[Match]\nName=en* eth*\n[Network]\nDHCP=yes\n"
# The seat's images are built on the host, for the host's groups; this host has no `render`
# group (Debian 12 makes one, dynamically numbered: 104 in this VM), so the VM gives its
# render nodes to `video`, as this host would. Images built for a machine's own render GID
# are the vendor profiles' work.
UDEV_RENDER_RULE = 'SUBSYSTEM=="drm", KERNEL=="renderD*", GROUP="video", MODE="0660"\n'
JOB_UNIT = """[Unit]
Description=seatcheck job from the second disk (/dev/vdb)
After=docker.service network-online.target
Wants=docker.service network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/seatcheck-vm-job
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
"""
JOB_SCRIPT = """#!/bin/sh
# Runs the job the host put on /dev/vdb (job/run.sh), its output in job/out, then powers off.
# Markers on the serial console tell the host where the job is (it watches the serial log).
echo "seatcheck-vm: booted $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
mkdir -p /job && mount /dev/vdb /job || { echo "seatcheck-vm: no job disk" > /dev/ttyS0; exit 0; }
mkdir -p /job/out
sh /job/run.sh > /job/out/job.log 2>&1
echo "seatcheck-vm: job-exit $?" > /dev/ttyS0
sync; umount /job
systemctl poweroff
"""


@dataclass(frozen=True)
class VmDisk:
    image: Path  # the raw disk
    kernel: Path
    initrd: Path
    recipe: str  # the hash it is cached under


def recipe_hash(image_ids: dict[str, str]) -> str:
    recipe = {
        "suite": SUITE, "mirror": MIRROR, "packages": PACKAGES, "size": SIZE,
        "units": [NETWORK_UNIT, JOB_UNIT, JOB_SCRIPT, UDEV_RENDER_RULE], "images": image_ids,
        "selinux": [SELINUX_MODULES, DOCKER_DAEMON, PRINTK_UNLIMITED, LOCAL_MODULE.read_text()],
        "build_records": sorted(p.name for p in cache.builds_dir().glob("*")),
        "python_packages": sorted(p.name for p in _site().glob("*.dist-info")),
    }  # fmt: skip
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _site() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def copy_checkout(checkout: Path, dest: Path) -> None:
    """This checkout's tracked files as they are now (committed or not): each run's job
    disk carries them, so a change to the harness needs no new VM disk."""
    listed = subprocess.run(
        ["git", "-C", str(checkout), "ls-files", "-z"], capture_output=True, check=True,
        timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        src = checkout / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def vm_dir() -> Path:
    return cache.state_dir() / "vm"


def cached(recipe: str) -> VmDisk | None:
    folder = vm_dir() / recipe
    disk = VmDisk(folder / "disk.img", folder / "vmlinuz", folder / "initrd.img", recipe)
    return disk if (folder / "complete").exists() else None


KEEP_DISKS = 2  # each is about 4 GB: the newest two stay (a branch and main, say)


def prune(keep: int, stale_s: float = 3600) -> list[Path]:
    """Remove all but the newest ``keep`` complete disks, and unfinished ones older than
    ``stale_s`` (a build that died); a running VM keeps its open file until it ends."""
    folders = [f for f in vm_dir().iterdir() if f.is_dir() and f.name != "running"]
    complete = sorted(
        (f for f in folders if (f / "complete").exists()),
        key=lambda f: (f / "complete").stat().st_mtime, reverse=True,
    )  # fmt: skip
    unfinished = [f for f in folders if f not in complete
                  and time.time() - f.stat().st_mtime > stale_s]  # fmt: skip
    removed = complete[keep:] + unfinished
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def build(client: DockerClient, images: list[str], progress: Progress) -> VmDisk:
    """The VM disk for these images: cached, or made now."""
    ids = {ref: str(client.images.get(ref).id) for ref in images}
    recipe = recipe_hash(ids)
    found = cached(recipe)
    if found is not None:
        progress(f"[vm] disk {recipe} is cached")
        return found
    engine.ensure_host_packages({"debootstrap": "debootstrap", "mkfs.ext4": "e2fsprogs"})
    folder = vm_dir() / recipe
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="seatcheck-vm-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        started = time.monotonic()
        _debootstrap(root, progress)
        _configure(root)
        _copy_python_packages(root)
        progress(f"[vm] root made in {time.monotonic() - started:.0f} s; loading images")
        _fill_engine(client, root, images, progress)
        _label(root, progress)
        boot = root / "boot"
        shutil.copy(max(boot.glob("vmlinuz-*")), folder / "vmlinuz")
        shutil.copy(max(boot.glob("initrd.img-*")), folder / "initrd.img")
        progress("[vm] mkfs.ext4 -d")
        subprocess.run(
            ["mkfs.ext4", "-q", "-F", "-L", "seatcheck-vm", "-d", str(root),
             str(folder / "disk.img"), SIZE],
            check=True, timeout=1200, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    (folder / "complete").write_text(json.dumps({"images": ids}, indent=1))
    progress(f"[vm] disk {recipe} made in {time.monotonic() - started:.0f} s")
    for old in prune(keep=KEEP_DISKS):
        progress(f"[vm] removed the older disk {old.name}")
    found = cached(recipe)
    assert found is not None
    return found


def _debootstrap(root: Path, progress: Progress) -> None:
    progress(f"[vm] debootstrap {SUITE} with {len(PACKAGES)} packages")
    proc = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE,
         str(root), MIRROR],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SetupError("vm", "debootstrap of the VM's root failed", proc.stdout[-3000:])


def _configure(root: Path) -> None:
    (root / "etc/hostname").write_text("seatcheck-vm\n")
    (root / "etc/fstab").write_text("/dev/vda / ext4 rw,relatime 0 1\n")
    net = root / "etc/systemd/network/20-seatcheck.network"
    net.parent.mkdir(parents=True, exist_ok=True)
    net.write_text(NETWORK_UNIT)
    (root / "etc/systemd/system/seatcheck-vm-job.service").write_text(JOB_UNIT)
    job = root / "usr/local/sbin/seatcheck-vm-job"
    job.write_text(JOB_SCRIPT)
    job.chmod(0o755)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    # The serial console carries the job's markers: no getty may hold ttyS0 (writes get EIO).
    mask = root / "etc/systemd/system/serial-getty@ttyS0.service"
    if not mask.is_symlink():
        mask.symlink_to("/dev/null")
    rules = root / "etc/udev/rules.d/90-seatcheck-render.rules"
    rules.parent.mkdir(parents=True, exist_ok=True)
    rules.write_text(UDEV_RENDER_RULE)
    # How the images were built (through the host's squid): the package-cache check reads
    # the last build's record, and these images were built there, not in the VM.
    builds = root / "var/lib/seatcheck/builds"
    if cache.builds_dir().is_dir():
        shutil.copytree(cache.builds_dir(), builds, dirs_exist_ok=True)
    # qemu's user-mode network answers DNS at 10.0.2.3.
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    resolv.write_text("nameserver 10.0.2.3\n")
    for unit, target in (
        ("seatcheck-vm-job.service", "/etc/systemd/system/seatcheck-vm-job.service"),
        ("systemd-networkd.service", "/lib/systemd/system/systemd-networkd.service"),
    ):
        link = wants / unit
        if not link.exists():
            link.symlink_to(target)
    # root logs in on tty1 without a password: it is a throwaway VM on the host's own loop.
    subprocess.run(["chroot", str(root), "passwd", "-d", "root"], check=True, timeout=60)
    # Every denial reaches the kernel's log (no auditd): printk's rate limit would drop some.
    (root / "etc/sysctl.d/90-seatcheck-audit.conf").write_text(PRINTK_UNLIMITED)
    daemon = root / "etc/docker/daemon.json"
    daemon.parent.mkdir(parents=True, exist_ok=True)
    daemon.write_text(DOCKER_DAEMON)
    shutil.copy(LOCAL_MODULE, root / "tmp/seatcheck.te")
    _in_root(root, SELINUX_MODULES, "building SELinux's container and docker modules")


def _in_root(root: Path, script: str, what: str) -> None:
    """``script`` in the root (chrooted, with a /proc in a mount namespace of its own)."""
    script = f"mount -t proc proc /proc\n{script}"
    done = subprocess.run(
        ["unshare", "--mount", "--fork", "chroot", str(root), "sh", "-c", script],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        raise SetupError("vm", f"{what} in the VM's root failed", output)


def _label(root: Path, progress: Progress) -> None:
    """Every file labelled by the policy's file contexts as the root stands (its images loaded
    too: their layers are container_ro_file_t), so the first boot enforces without a relabel;
    ``mkfs.ext4 -d`` keeps the labels. setfiles needs no loaded policy."""
    started = time.monotonic()
    contexts = "/etc/selinux/default/contexts/files/file_contexts"
    # setfiles sets labels through /proc/self/fd: /proc is there, and left out.
    _in_root(root, f"setfiles -F -e /proc {contexts} /", "labelling the VM's root")
    progress(f"[vm] root labelled in {time.monotonic() - started:.0f} s")


def _copy_python_packages(root: Path) -> None:
    """The harness's Python packages beside Debian's python3 (the same minor version: the
    wheels fit), reached through PYTHONPATH; the developer's tools stay out."""
    skip = shutil.ignore_patterns(
        "__editable__*", "*.pth", "pip", "pip-*", "setuptools*", "mypy*", "*__mypyc*",
        "playwright*", "ruff*", "seatcheck-*", "__pycache__",
    )  # fmt: skip
    shutil.copytree(_site(), root / SITE.lstrip("/"), symlinks=True, ignore=skip)


def _fill_engine(client: DockerClient, root: Path, images: list[str], progress: Progress) -> None:
    """A second engine whose data root is the VM's /var/lib/docker takes the images."""
    data = root / "var/lib/docker"
    data.mkdir(parents=True, exist_ok=True)
    exec_root = Path(tempfile.mkdtemp(prefix="seatcheck-vm-engine-", dir="/run"))
    # A network namespace of its own: the helper's default bridge, and anything it does to
    # network interfaces, stay there. (`--bridge=none` instead deletes the host's docker0:
    # measured, the host engine's builds then failed with "could not find bridge docker0".)
    helper = subprocess.Popen(
        ["unshare", "--net", "dockerd", f"--data-root={data}", f"--exec-root={exec_root}",
         f"--pidfile={exec_root}/docker.pid", f"--host=unix://{HELPER_SOCKET}",
         "--iptables=false", "--ip-masq=false", "--storage-driver=overlay2",
         # Its own containerd namespaces: it must never see (or clean up) the host engine's.
         "--containerd-namespace=seatcheck-vm", "--containerd-plugins-namespace=seatcheck-vm-p"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    tracking.record(f"vm-disk-{root.parent.name}", helper.pid)
    try:
        second = _connect_when_up(helper)
        for ref in images:
            started = time.monotonic()
            # Streamed from one engine into the other, never whole in memory.
            loaded = second.api.load_image(client.api.get_image(ref))  # type: ignore[no-untyped-call]
            for answer in loaded:
                if isinstance(answer, dict) and answer.get("error"):
                    raise SetupError("vm", f"the VM's engine refused {ref}: {answer['error']}")
            progress(f"[vm] {ref} into the VM's engine in {time.monotonic() - started:.0f} s")
    finally:
        helper.terminate()
        try:
            helper.wait(timeout=60)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait(timeout=30)
        tracking.forget(f"vm-disk-{root.parent.name}")
        shutil.rmtree(exec_root, ignore_errors=True)


def _connect_when_up(helper: subprocess.Popen[bytes], timeout: float = 60) -> DockerClient:
    def answering() -> DockerClient:
        second = docker.DockerClient(base_url=f"unix://{HELPER_SOCKET}", timeout=600)
        second.ping()
        return second

    def exited() -> str | None:
        return f"it exited ({helper.returncode})" if helper.poll() is not None else None

    try:
        return retry(
            answering, (docker.errors.DockerException, OSError), timeout, "the helper engine",
            abort=exited, scaled=False,
        )  # fmt: skip
    except (WaitTimeout, docker.errors.DockerException, OSError) as exc:
        raise SetupError("vm", f"the helper engine did not answer within 60 s: {exc}") from None
