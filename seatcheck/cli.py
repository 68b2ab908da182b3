"""The ``seatcheck`` command: run a profile's suite, and the tools around a run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pytest

from . import console, engine, host, machine, plugin, profile, promote, reaper, recorder, reports
from .config import SeatConfig
from .engine.labels import new_run_id
from .errors import EngineUnavailable, SeatcheckError, UsageError
from .images import ImageBuilder
from .roles import IMAGE_ROLES, parse_image_overrides

EXIT_USAGE = 2
EXIT_ENGINE = 3


def _say(line: str) -> None:
    print(f"seatcheck: {line}", file=sys.stderr, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Validate everything first (nothing starts on bad input), then run the profile's suite."""
    suites = Path(args.suites) if args.suites else None
    if not args.profile:  # the profile the doctor finds fitting
        fit = machine.fitting_profile(machine.discover(), args.gpu or "")
        if not fit.profile:
            raise UsageError(fit.describe())
        _say(f"profile {fit.describe()}")
        args.profile = fit.profile
    return run_profile(
        args.profile, parse_image_overrides(args.image), Path(args.reports),
        run_id=args.run_id, tmp_volume=args.tmp_volume, gpu=args.gpu or "",
        pytest_args=args.pytest_args, suites=suites,
    )  # fmt: skip


def run_profile(
    name: str, overrides: dict[str, str], reports_dir: Path, *, run_id: str | None = None,
    tmp_volume: str | None = None, gpu: str = "", pytest_args: list[str] | None = None,
    suites: Path | None = None,
) -> int:  # fmt: skip
    """One run of a profile's suite: the profile bound to this machine (no hardware for it:
    one line, exit 2), the engine answering, every override resolved, then pytest with the
    run's SeatConfig handed over as it is (``plugin.GivenRun``)."""
    prof = plugin.bind_to_machine(profile.find(name, suites), gpu)
    client = engine.ensure_engine()
    config = SeatConfig(
        profile=prof, run_id=run_id or new_run_id(), image_overrides=overrides,
        reports_dir=reports_dir, tmp_volume=tmp_volume or "",
    )  # fmt: skip
    builder = ImageBuilder(client, config, progress=_say)
    for role in overrides:
        builder.role_image(role)  # an unknown image is refused here, before anything runs
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    args = [
        str(prof.path.parent),
        f"--junitxml={run_dir / 'junit.xml'}",
        "-o", "junit_family=xunit1",  # keeps record_property evidence as <property> elements
        "-p", "no:cacheprovider",
        *(pytest_args or []),
    ]  # fmt: skip
    if suites:
        args.append(f"--rootdir={suites.parent}")
    code = int(pytest.main(args, plugins=[plugin.GivenRun(config)]))
    report = run_dir / "report.html"
    _say(f"report: {report} (exit status {code})" if report.exists() else f"exit status {code}")
    _say(f"matrix: {reports_dir / 'index.html'}")  # brought up to date by the run
    return code


def cmd_report(args: argparse.Namespace) -> int:
    """Merge every run under the reports folder into the compatibility matrix."""
    page = reports.write_index(Path(args.reports), history=args.history)
    print(page)
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    client = engine.ensure_engine()
    if args.rollback:
        print(promote.rollback(client, args.role, args.prefix))
        return 0
    if not args.candidate:
        raise UsageError("promote needs --candidate IMAGE (or --rollback)")

    def run_suite(image_id: str) -> tuple[int, str]:
        run_id = new_run_id()
        reports_dir = Path(args.reports)
        code = run_profile(
            args.profile, {args.role: image_id}, reports_dir, run_id=run_id,
            pytest_args=["-q", *args.pytest_args],
        )  # fmt: skip
        return code, str(reports_dir / run_id / "report.html")

    verdict = promote.promote(
        client, args.role, args.candidate, run_suite, args.prefix, " ".join(args.pytest_args)
    )
    print(verdict.describe())
    return 0 if verdict.promoted else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    if args.replay:  # a recorded machine (record-machine's archive): the verdict it gives
        fit = recorder.replay(Path(args.replay), args.gpu or "")
        print(json.dumps({"profile": fit.profile, "reasons": list(fit.reasons)}, indent=1)
              if args.json else f"profile that fits: {fit.describe()}")  # fmt: skip
        return 0 if fit.profile else EXIT_USAGE
    client = None
    problem = ""
    try:
        client = engine.connect()
    except EngineUnavailable as exc:
        problem = str(exc)
    facts = host.collect(
        client, host.any_local_image(client) if client else None, gpu=args.gpu or ""
    )
    if args.json:
        print(json.dumps(facts.as_dict(), indent=2))
    else:
        rows = facts.as_dict()
        width = max(len(k) for k in rows)
        for key, value in rows.items():
            if isinstance(value, list):
                value = (
                    ", ".join(
                        v if isinstance(v, str) else " ".join(f"{a}={b}" for a, b in v.items())
                        for v in value
                    )
                    or "none"
                )
            print(f"{key.replace('_', ' '):<{width}}  {value}")
    if problem:
        _say(problem)
        return EXIT_ENGINE
    return 0


def cmd_record_machine(args: argparse.Namespace) -> int:
    """What the harness reads from this machine, redacted, in one archive to replay."""
    out = Path(args.output) if args.output else Path(f"machine-{new_run_id()}.tar.gz")
    recorder.record(out)
    _say(f"recorded this machine: {out} (replay: seatcheck doctor --replay {out})")
    return 0


def cmd_reap(args: argparse.Namespace) -> int:
    """Remove what dead runs left (by hand, as every new run does first)."""
    client = engine.connect()
    reaped = reaper.sweep(client, session=args.session, everything=args.all)
    for session, failed in reaped.items():
        print(f"reaped {session}" + (f": could not remove {'; '.join(failed)}" if failed else ""))
    if not reaped:
        print("nothing to reap")
    return 1 if any(reaped.values()) else 0


def cmd_restore_console(args: argparse.Namespace) -> int:
    """Put the console back as a run's snapshot has it (text mode, keyboard, active VT)."""
    try:
        session, snap = console.load(args.session)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    done = console.restore(snap, timeout=args.timeout)
    problems = console.differences(snap, console.snapshot(set(snap.vts)))
    for line in done or ["nothing to restore"]:
        print(line)
    if problems:
        _say("console still differs: " + "; ".join(problems))
        return 1
    console.forget(session)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Make the host ready: host packages and a running engine (what `run` does first)."""
    engine.ensure_host_packages(engine.HOST_PACKAGES)
    if args.tests:
        engine.ensure_host_packages(engine.TEST_PACKAGES)
    engine.ensure_engine()
    _say("host ready: engine answers, host packages present")
    return 0


def _say_setup_diagnostics(folder: Path, lines: int = 30) -> None:
    """The end of what a part that did not come up left (its journal, X's log): in CI only
    this output is kept, and a set-up that timed out in the VM is read from it."""
    for name in ("journal", "xorg-log", "units"):
        for saved in sorted(folder.glob(f"setup-*-{name}.txt")):
            _say(f"  --- {saved.name} (last {lines} lines) ---")
            for line in saved.read_text(errors="replace").splitlines()[-lines:]:
                _say(f"  {line}")


def cmd_vm(args: argparse.Namespace) -> int:
    """Boot the nested-virt VM and run the vm profile inside it (Xorg on a real VT)."""
    from .vm.run import run_vm

    done = run_vm(
        Path(args.reports), _say, args.pytest_args, keep_vm=args.keep_vm,
        with_faults=args.faults or bool(args.fault), only_faults=tuple(args.fault),
    )  # fmt: skip
    for run in done.runs:
        kind = (
            f"fault {run.name}" if run.faults
            else "harness killed mid-run" if run.killed else "healthy run"
        )  # fmt: skip
        verdict = "; ".join(run.problems) if run.problems else f"exit status {run.exit_status}"
        _say(f"{kind}: {Path(args.reports) / run.run_id / 'report.html'} ({verdict})")
        if not run.faults and not run.killed:
            # CI keeps only this output: what failed must be readable here, not only in the report
            for line in reports.failed_lines(Path(args.reports) / run.run_id / "results.json"):
                _say(f"  {line}")
        if run.problems or (not run.faults and not run.killed and run.exit_status):
            _say_setup_diagnostics(Path(args.reports) / run.run_id)
    _say(f"matrix: {reports.write_index(Path(args.reports))}")
    return done.exit_status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seatcheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="stand up the seat for a profile and run its suite",
        usage="seatcheck run [PROFILE] [--gpu PCI] [--image ROLE=IMAGE]... [-- PYTEST_ARGS...]",
    )
    run.add_argument(
        "profile", nargs="?", default="",
        help=f"profile name ({', '.join(profile.available()) or 'none'}; default: the one the "
        "doctor finds fitting this machine)",
    )  # fmt: skip
    run.add_argument(
        "--gpu", default=None, metavar="PCI-ADDRESS", help="the GPU to run on (several GPUs)"
    )
    run.add_argument(
        "--image", action="append", default=[], metavar="ROLE=IMAGE",
        help=f"use IMAGE for ROLE (repeatable; roles: {', '.join(IMAGE_ROLES)})",
    )  # fmt: skip
    run.add_argument("--run-id", default=None, help="run id (default: new)")
    run.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    run.add_argument("--suites", default=None, help=argparse.SUPPRESS)
    run.add_argument(
        "--tmp-volume", default=None, metavar="NAME", help="keep common_tmp in a named volume"
    )
    _engine_option(run)
    run.set_defaults(func=cmd_run)

    doctor = sub.add_parser("doctor", help="the host facts a run depends on")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.add_argument("--gpu", default=None, metavar="PCI-ADDRESS", help="judge this GPU")
    doctor.add_argument(
        "--replay", default=None, metavar="ARCHIVE",
        help="judge a recorded machine (record-machine's archive) instead of this one",
    )  # fmt: skip
    _engine_option(doctor)
    doctor.set_defaults(func=cmd_doctor)

    rec = sub.add_parser(
        "record-machine", help="record this machine's devices and /proc files to replay elsewhere"
    )
    rec.add_argument("--output", "-o", default=None, help="archive path (.tar.gz)")
    rec.set_defaults(func=cmd_record_machine)

    report = sub.add_parser("report", help="merge all runs into reports/index.html")
    report.add_argument("--reports", default="reports", help="reports folder")
    report.add_argument("--history", action="store_true", help="every run, not the newest")
    report.set_defaults(func=cmd_report)

    prom = sub.add_parser(
        "promote", help="run the suites on a candidate image; tag it ROLE only if all pass"
    )
    prom.add_argument("role", help=f"the role ({', '.join(IMAGE_ROLES)})")
    prom.add_argument("--candidate", default=None, help="the candidate image (e.g. gnomep)")
    prom.add_argument("--rollback", action="store_true", help="restore ROLE-prev as ROLE")
    prom.add_argument("--profile", default="virtual", help="profile to run (default virtual)")
    prom.add_argument("--reports", default="reports", help="reports folder")
    prom.add_argument("--prefix", default="", help="prefix of the ROLE and ROLE-prev tags")
    prom.set_defaults(func=cmd_promote)

    reap = sub.add_parser("reap", help="remove what dead runs left and restore their console")
    reap.add_argument("--session", default=None, help="reap this run, alive or not")
    reap.add_argument("--all", action="store_true", help="reap every labelled run")
    reap.set_defaults(func=cmd_reap)

    restore = sub.add_parser(
        "restore-console", help="restore the console from a run's snapshot (default: newest)"
    )
    restore.add_argument("--session", default=None, help="the run whose snapshot to use")
    restore.add_argument("--timeout", type=float, default=5.0, help="deadline for a VT switch")
    restore.set_defaults(func=cmd_restore_console)

    vm = sub.add_parser(
        "vm", help="boot the nested-virt VM and run vm (virgl) or vm-2d in it (Xorg on a real VT)"
    )
    vm.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    vm.add_argument("--keep-vm", action="store_true", help="leave the VM up to look at it")
    vm.add_argument(
        "--faults", action="store_true",
        help="after the healthy run, seats broken by the VM faults, each seen to fail",
    )  # fmt: skip
    vm.add_argument(
        "--fault", action="append", default=[], metavar="NAME",
        help="only this VM fault's seat (repeatable; implies --faults)",
    )  # fmt: skip
    vm.set_defaults(func=cmd_vm)

    setup = sub.add_parser("setup", help="install host packages and start the engine if needed")
    setup.add_argument(
        "--tests", action="store_true", help="also what the project's tests need (chromium)"
    )
    _engine_option(setup)
    setup.set_defaults(func=cmd_setup)
    return parser


def _engine_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--engine", default=None, choices=engine.ENGINES,
        help="docker, or podman through its Docker API (default: DOCKER_HOST's or "
        "CONTAINER_HOST's, else the first socket that answers; none: docker.io is started)",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after a bare "--" goes to pytest untouched.
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    args = build_parser().parse_args(argv)
    args.pytest_args = extra
    if getattr(args, "engine", None):  # every engine call of the command reads it
        os.environ[engine.ENGINE_ENV] = args.engine
    try:
        return int(args.func(args))
    except EngineUnavailable as exc:
        _say(str(exc))
        return EXIT_ENGINE
    except SeatcheckError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
