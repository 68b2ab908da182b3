"""Reaping what a run leaves: the watchdog that outlives a run, and the sweep of dead runs.

The watchdog works like testcontainers' Ryuk, without an image: the run holds the write end of
a pipe whose read end the watchdog (its own process session) blocks on. When the run ends
normally it writes "done" and the watchdog leaves. When the run dies (SIGKILL included) the
kernel closes the pipe, the read returns end-of-file, and the watchdog removes everything
labelled with the session and restores the console from its snapshot.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import docker.errors
from docker import DockerClient

from . import console, engine
from .engine.labels import OWNER, SESSION, kept_volume, leftovers, owner_alive, remove_session

DONE = b"d"


@dataclass
class Watchdog:
    """The run's side of the watchdog: call ``done()`` after a normal teardown."""

    pid: int
    write_fd: int

    def done(self) -> None:
        if self.write_fd < 0:
            return
        with contextlib.suppress(OSError):  # the watchdog may already be gone
            os.write(self.write_fd, DONE)
        os.close(self.write_fd)
        self.write_fd = -1


def start_watchdog(
    session: str, log: Path, profile: str = "", families: tuple[str, ...] = ()
) -> Watchdog:
    """A process of its own that reaps ``session`` should this one die before ``done``, and
    records the run as aborted (with the families it would have judged)."""
    read_fd, write_fd = os.pipe()  # both ends are non-inheritable unless passed on purpose
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seatcheck.reaper",
                "watch",
                session,
                str(read_fd),
                "--run-dir",
                str(log.parent),
                "--profile",
                profile,
                *(f"--family={f}" for f in families),
            ],  # fmt: skip
            pass_fds=(read_fd,),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,  # not in the run's process group: it must outlive it
        )
    os.close(read_fd)
    return Watchdog(proc.pid, write_fd)


def reap_session(client: DockerClient, session: str) -> list[str]:
    """Remove a dead run's resources at once (no graceful stop) and restore the console."""
    failed = remove_session(client, session, stop_timeout=0)
    from .vm import tracking  # a VM run's qemu, recorded outside the engine

    tracking.end(session)
    try:
        _, snap = console.load(session)
    except (FileNotFoundError, OSError):
        return failed
    try:
        console.restore(snap)
        console.forget(session)
    except (OSError, TimeoutError) as exc:
        failed.append(f"console: {exc}")
    return failed


def labelled_sessions(client: DockerClient) -> dict[str, set[str]]:
    """Every labelled session with resources on the engine -> the owners those carry."""
    owners: dict[str, set[str]] = defaultdict(set)
    flt: dict[str, str | list[str] | bool] = {"label": SESSION}
    items: list[dict[str, str]] = [c.labels for c in client.containers.list(all=True, filters=flt)]
    items += [n.attrs.get("Labels") or {} for n in client.networks.list(filters=flt)]
    items += [
        v.attrs.get("Labels") or {} for v in client.volumes.list(filters=flt) if not kept_volume(v)
    ]
    for labels in items:
        owners[labels[SESSION]].add(labels.get(OWNER, ""))
    return owners


def sweep(
    client: DockerClient, session: str | None = None, everything: bool = False
) -> dict[str, list[str]]:
    """Reap dead runs: those whose owning process on this host is gone (or the one named, or
    all of them). Returns {session: what could not be removed}."""
    reaped: dict[str, list[str]] = {}
    for found, owners in labelled_sessions(client).items():
        if session and found != session:
            continue
        dead = all(owner_alive(o) is False for o in owners)
        if session or everything or dead:
            reaped[found] = reap_session(client, found)
    from .vm import tracking

    for found in tracking.dead_sessions():  # VM runs: no labelled resource on this engine
        if (not session or found == session) and found not in reaped:
            tracking.end(found)
            reaped[found] = []
    return reaped


def record_aborted(
    run_dir: Path, session: str, profile: str, reaped: list[str], failed: list[str],
    families: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """A run that died leaves a result saying so, unless it wrote its own: the record and the
    matrix show it as aborted instead of losing it."""
    import json
    import platform
    import socket

    from . import machine, reports

    if (run_dir / "results.json").exists():
        return
    facts = {
        "run_id": session,
        "profile": profile,
        "host": {
            "hostname": socket.gethostname(),
            "kernel": platform.release(),
            "gpus": machine.discover().as_dict()["gpus"],
        },
    }
    summary = {
        "run_id": session,
        "profile": profile,
        "machine": reports.machine_key(facts),
        "aborted": True,
        "families": list(families),
        "reaped": reaped,
        "leftovers": failed,
        "results": [],
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "results.json").write_text(json.dumps(summary, indent=2) + "\n")


def _watch(
    session: str, fd: int, run_dir: Path | None = None, profile: str = "",
    families: tuple[str, ...] = (),
) -> int:  # fmt: skip
    data = b""
    while True:
        try:
            data = os.read(fd, 1)
            break
        except InterruptedError:
            continue
    if data == DONE:
        return 0
    stamp = time.strftime("%H:%M:%S")
    print(f"{stamp} run {session} ended without teardown: reaping", flush=True)
    reaped: list[str] = []
    try:
        client = engine.connect()
        reaped = leftovers(client, session)
        failed = reap_session(client, session)
    except docker.errors.DockerException as exc:
        failed = [str(exc)]
    print(f"{time.strftime('%H:%M:%S')} reaped {session}; left: {failed or 'nothing'}", flush=True)
    if run_dir is not None:
        with contextlib.suppress(OSError):
            record_aborted(run_dir, session, profile, reaped, failed, families)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seatcheck.reaper")
    sub = parser.add_subparsers(dest="command", required=True)
    watch = sub.add_parser("watch")
    watch.add_argument("session")
    watch.add_argument("fd", type=int)
    watch.add_argument("--run-dir", type=Path, default=None)
    watch.add_argument("--profile", default="")
    watch.add_argument("--family", action="append", default=[])
    args = parser.parse_args(argv)
    return _watch(args.session, args.fd, args.run_dir, args.profile, tuple(args.family))


if __name__ == "__main__":
    sys.exit(main())
