"""The seatcheck pytest plugin: options, the run's seat, one-line set-up failures, reports.

Registered through the ``pytest11`` entry point as ``seatcheck``. The fixtures that stand the
seat up live in the repository's ``fixtures/`` package; they get the seat from ``seat_for``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Generator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from . import cache, engine, host, machine, nvidia, profile, reaper, recorder, reports, suite
from .config import BaseSource, SeatConfig
from .context import SeatContext, SeatHooks
from .errors import EngineUnavailable, HardwareMismatch, SeatcheckError, SetupError
from .parts.teardown import TeardownReport
from .probes import leaks
from .profile import Profile
from .roles import IMAGE_ROLES, parse_image_overrides
from .topology import Seat

# Roles without which no check can run: a failure there stops the run.
SEAT_ROLES = frozenset({"base", "squid", "gnome", "appbase", "common_tmp", "network"})

CONFIG_KEY = pytest.StashKey["RunState"]()
# Exit statuses of a run stopped before start, as `seatcheck run` gives them.
EXIT_HARDWARE = 2
EXIT_ENGINE = 3


class GivenRun:
    """A run that ``seatcheck run`` has configured and checked already (the profile bound to
    this machine, the engine answering, the overrides resolved): handed to pytest as a plugin
    object, its SeatConfig is taken as it is, not parsed back from options."""

    def __init__(self, seat_config: SeatConfig) -> None:
        self.seat_config = seat_config


class RunState:
    """Per-run state kept in ``config.stash``."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        given = [p for p in config.pluginmanager.get_plugins() if isinstance(p, GivenRun)]
        self.given = given[0].seat_config if given else None
        if self.given is not None:
            _refuse_options_of_a_given_run(config)
        self.overrides = parse_image_overrides(config.getoption("seatcheck_image"))
        self.profile: Profile | None = None
        self.seat: Seat | None = None
        self.setup_error: SetupError | None = None
        self.results: list[dict[str, Any]] = []
        self.families: list[str] = []  # the requirement families of the collected checks
        self.leftovers: list[str] = []

    def reports_dir(self) -> Path:
        if self.given is not None:
            return self.given.reports_dir
        return Path(self.pytest_config.getoption("seatcheck_reports"))

    def seat_config(self) -> SeatConfig:
        if self.given is not None:
            return dataclasses.replace(self.given, families=tuple(self.families))
        opt = self.pytest_config.getoption
        if self.profile is None:
            raise pytest.UsageError(
                "no seatcheck profile: run a suite folder (suites/<profile>) or pass "
                "--seatcheck-profile"
            )
        tarball = opt("seatcheck_base_tarball")
        kwargs: dict[str, Any] = {}
        if opt("seatcheck_run_id"):
            kwargs["run_id"] = opt("seatcheck_run_id")
        if opt("seatcheck_tmp_volume"):
            kwargs["tmp_volume"] = opt("seatcheck_tmp_volume")
        if opt("seatcheck_squid_volume"):
            kwargs["squid_volume"] = opt("seatcheck_squid_volume")
        if opt("seatcheck_tag_prefix"):
            kwargs["tag_prefix"] = opt("seatcheck_tag_prefix")
        if opt("seatcheck_dockerfiles"):
            kwargs["dockerfiles"] = Path(opt("seatcheck_dockerfiles")).resolve()
        return SeatConfig(
            profile=self.profile,
            image_overrides=self.overrides,
            seat_user=opt("seatcheck_user"),
            seat_uid=opt("seatcheck_uid"),
            base=BaseSource(
                tarball=Path(tarball) if tarball else None,
                sha256=opt("seatcheck_base_sha256") or "",
                image=opt("seatcheck_base_image") or "",
            ),
            reports_dir=Path(opt("seatcheck_reports")),
            families=tuple(self.families),
            **kwargs,
        )


# The options that make a SeatConfig, with their defaults: `seatcheck run` makes its own.
_RUN_OPTIONS: dict[str, object] = {
    "seatcheck_profile": None, "seatcheck_image": [], "seatcheck_gpu": None,
    "seatcheck_run_id": None, "seatcheck_reports": "reports", "seatcheck_user": "seat",
    "seatcheck_uid": 1000, "seatcheck_base_tarball": None, "seatcheck_base_sha256": None,
    "seatcheck_tmp_volume": None, "seatcheck_squid_volume": None,
    "seatcheck_dockerfiles": None, "seatcheck_base_image": None, "seatcheck_tag_prefix": None,
}  # fmt: skip


def _refuse_options_of_a_given_run(config: pytest.Config) -> None:
    """A run ``seatcheck run`` configured takes none of the options that make a run: they
    would be ignored, so they are refused (its own flags, or plain pytest, take them)."""
    given = sorted(
        "--" + dest.replace("_", "-") for dest, default in _RUN_OPTIONS.items()
        if config.getoption(dest) != default
    )  # fmt: skip
    if given:
        raise pytest.UsageError(
            f"seatcheck run makes the run's configuration itself; {', '.join(given)} after "
            "'--' would be ignored (use seatcheck run's own options, or plain pytest)"
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seatcheck", "contained-desktop conformance")
    group.addoption(
        "--seatcheck-profile", default=None, metavar="NAME",
        help="hardware profile name, or a profile.toml path (default: the suites/<profile> "
        "folder being run)",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-image", action="append", default=[], metavar="ROLE=IMAGE",
        help=f"use IMAGE for ROLE in this run (repeatable; roles: {', '.join(IMAGE_ROLES)})",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-gpu", default=None, metavar="PCI-ADDRESS",
        help="the GPU a vendor profile runs on, by PCI address (default: the boot VGA one of "
        "the profile's vendor), on a machine with several",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-keep-snapshots", action="store_true",
        help="keep the images the snapshot checks commit (default: removed at teardown)",
    )  # fmt: skip
    group.addoption("--seatcheck-run-id", default=None, help="the run id (default: new)")
    group.addoption(
        "--seatcheck-reports", default="reports", help="folder for run reports (default: reports)"
    )
    group.addoption("--seatcheck-user", default="seat", help="the seat user's name")
    group.addoption("--seatcheck-uid", type=int, default=1000, help="the seat user's uid")
    group.addoption("--seatcheck-base-tarball", default=None, help="rootfs tarball for the base")
    group.addoption("--seatcheck-base-sha256", default=None, help="SHA-256 the tarball must match")
    group.addoption(
        "--seatcheck-tmp-volume", default=None, metavar="NAME",
        help="keep common_tmp in this named volume across runs (stale X locks and sockets a "
        "dead seat left in it are cleared at start)",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-squid-volume", default=None, metavar="NAME",
        help="keep squid's cache in this volume (default seatcheck-squid-cache); seats that "
        "run at the same time need one each: two squids must never share a cache directory",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-dockerfiles", default=None, metavar="DIR",
        help="build role images from DIR/<role>/Dockerfile instead of the shipped recipes",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-base-image", default=None, help="use this image as the base (a plain FROM)"
    )
    group.addoption(
        "--seatcheck-engine", default=None, choices=engine.ENGINES,
        help="the container engine: docker, or podman through its Docker API (default: "
        "DOCKER_HOST's or CONTAINER_HOST's, else the first socket that answers)",
    )  # fmt: skip
    group.addoption(
        "--seatcheck-tag-prefix", default=None, metavar="PREFIX",
        help="tag the images this run builds PREFIX/<role>:latest and the base PREFIX/base:... "
        "(default: seatcheck)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    for line in suite.MARKERS:
        config.addinivalue_line("markers", line)
    if config.getoption("seatcheck_engine"):  # every engine call of the run reads it
        os.environ[engine.ENGINE_ENV] = config.getoption("seatcheck_engine")
    try:
        state = RunState(config)
        name = config.getoption("seatcheck_profile")
        if state.given is not None:
            state.profile = state.given.profile
        elif name and name.endswith(".toml"):  # a profile file of one's own
            state.profile = profile.load(Path(name))
        elif name:
            state.profile = profile.find(name)
    except SeatcheckError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CONFIG_KEY] = state
    # SIGTERM runs the normal teardown, as Ctrl-C does (pytest has no handler of its own).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A profile folder's ``profile.toml`` collects the shared checks for that profile."""
    if file_path.name == profile.PROFILE_FILE:
        return suite.ProfileChecks.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[CONFIG_KEY]
    found = {p for p in (suite.profile_file(item) for item in items) if p is not None}
    if state.profile is None:
        if len(found) > 1:
            names = ", ".join(sorted(p.parent.name for p in found))
            raise pytest.UsageError(f"one profile per run, but these tests span: {names}")
        if found:
            try:
                state.profile = profile.load(found.pop())
            except SeatcheckError as exc:
                raise pytest.UsageError(str(exc)) from None
    if state.profile is not None and items:
        # A suite run: every check names its family; stages keep their order (the teardown
        # checks tear the seat down, so they run after every other check).
        suite.refuse_unmarked(items)
        suite.in_stage_order(items)
        _stop_before_start(config, state)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The families the run judges: those of the checks left once -k and the like chose."""
    state = session.config.stash[CONFIG_KEY]
    if state.profile is not None:
        state.families = sorted({suite.family(item) for item in session.items})


def _stop_before_start(config: pytest.Config, state: RunState) -> None:
    """What makes a run impossible ends it here, before anything starts, with one line and
    the exit status ``seatcheck run`` gives: the machine lacks the profile's hardware (2),
    no engine answers (3). Not one error per check."""
    assert state.profile is not None
    if state.given is not None:  # seatcheck run bound it and found the engine already
        return
    try:
        state.profile = bind_to_machine(state.profile, config.getoption("seatcheck_gpu") or "")
    except HardwareMismatch as exc:
        pytest.exit(f"seatcheck: {exc}", returncode=EXIT_HARDWARE)
    if config.option.collectonly:
        return
    try:
        engine.ensure_engine()
    except EngineUnavailable as exc:
        pytest.exit(f"seatcheck: {exc}", returncode=EXIT_ENGINE)


def bind_to_machine(prof: Profile, pci_address: str = "") -> Profile:
    """The profile on this machine (a vendor profile's GPU found by vendor and driver)."""
    bound = profile.bind(prof, machine.discover(), pci_address)
    if bound.match.vendor == "nvidia":
        nvidia.user_space_for(bound)  # raises HardwareMismatch naming the version it needs
    return bound


def seat_for(config: pytest.Config) -> Seat:
    """The run's seat, created on first use (nothing is started until a part is asked for)."""
    state = config.stash[CONFIG_KEY]
    if state.setup_error is not None:
        raise state.setup_error
    if state.seat is None:
        seat_config = state.seat_config()
        client = engine.ensure_engine()
        # A new run first reaps what dead runs left (their owner process is gone).
        for session, failed in reaper.sweep(client).items():
            _progress(config)(f"reaped dead run {session}" + (f"; left {failed}" if failed else ""))
        state.seat = Seat(
            client, seat_config, progress=_progress(config), hooks=_PytestHooks(config)
        )
        seat_config.run_dir.mkdir(parents=True, exist_ok=True)
    return state.seat


class _PytestHooks(SeatHooks):
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def container_config(self, seat: SeatContext, role: str, kwargs: dict[str, Any]) -> None:
        self.config.hook.pytest_seatcheck_container_config(seat=seat, role=role, kwargs=kwargs)

    def container_started(self, seat: SeatContext, role: str, container: Any) -> None:
        self.config.hook.pytest_seatcheck_container_started(
            seat=seat, role=role, container=container
        )

    def build_config(self, seat: SeatContext, role: str, kwargs: dict[str, Any]) -> None:
        self.config.hook.pytest_seatcheck_build_config(seat=seat, role=role, kwargs=kwargs)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hooks

    pluginmanager.add_hookspecs(hooks)


def teardown_seat(config: pytest.Config) -> TeardownReport | None:
    """Tear the run's seat down once (the teardown checks may have done it already)."""
    state = config.stash[CONFIG_KEY]
    if state.seat is None:
        return None
    report = state.seat.teardown_report or state.seat.teardown()
    state.leftovers = report.failed + report.leftovers
    return report


def _progress(config: pytest.Config) -> Any:
    """Progress lines that reach the terminal even while pytest captures output."""
    capman = config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        ctx = capman.global_and_fixture_disabled() if capman else nullcontext()
        with ctx:
            sys.stderr.write(f"seatcheck: {line}\n")
            sys.stderr.flush()

    return say


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    state = item.config.stash[CONFIG_KEY]
    if call.excinfo is not None and isinstance(call.excinfo.value, SetupError):
        # One message naming the role and its log, not a traceback through the fixtures.
        error = call.excinfo.value
        report.longrepr = str(error)
        if error.role in SEAT_ROLES:  # without the seat itself no check can run
            state.setup_error = error
            item.session.shouldstop = f"the seat could not be stood up ({error.role})"
    if report.when == "call" or report.outcome != "passed":
        family = suite.family(item)
        state.results.append(
            {**reports.result_of(report), "family": family} if family else reports.result_of(report)
        )
    if state.seat is not None:
        name = item.nodeid.split("::")[-1]
        if report.when == "call":
            state.seat.timeline.add(
                name, "check", report.start, report.stop, not report.failed,
                family=suite.family(item),
            )  # fmt: skip
        elif report.when == "setup" and report.duration > 0.5:  # a fixture stood something up
            state.seat.timeline.add(f"set-up for {name}", "setup", report.start, report.stop)
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(CONFIG_KEY, None)
    if state is None or state.profile is None:
        return
    if state.seat is None:  # no check stood a seat up: the matrix is still brought up to date
        reports.write_index(state.reports_dir())
        return
    seat = state.seat
    run_dir = seat.config.run_dir
    try:
        seat.facts.host = host.collect(
            seat.client, seat.images.base_image(), seat.session
        ).as_dict()
    except Exception as exc:  # the report is still written without the host manifest
        seat.facts.host = {"error": str(exc)}
    seat.facts.package_cache = package_cache_facts(seat)
    seat.facts.timeline = seat.timeline.as_list()
    seat.facts.families = state.families
    try:  # what the harness read from this machine, to replay a failure elsewhere
        recorder.record(run_dir / recorder.ARCHIVE)
        seat.facts.machine_recording = recorder.ARCHIVE
    except Exception as exc:  # the report is still written, saying why there is none
        seat.facts.machine_recording = f"none: {exc}"
    reports.write_run(run_dir, seat.facts.as_dict(), state.results, state.leftovers)
    if seat.secrets.made is not None:  # the report as written, and every log beside it
        verdict = _secret_in_reports(run_dir, seat.secrets.made.token)
        state.results.append(verdict)
        reports.write_run(run_dir, seat.facts.as_dict(), state.results, state.leftovers)
        if verdict["outcome"] == "failed":
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reports.write_index(seat.config.reports_dir)
    if state.leftovers:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def package_cache_facts(seat: Seat) -> dict[str, Any]:
    """The report's package-cache section: the squid, this run's builds, the last build."""
    last = cache.last_build()
    images = {role: str(i.get("id")) for role, i in seat.facts.images.items()}
    return {
        **seat.facts.squid,
        "clients": seat.network.subnets() if seat.network.made else [],
        "builds": [r.as_dict() for r in seat.images.records],
        "last_build": last.as_dict() if last else None,
        # the builds that made the images this seat runs (a warm run builds nothing)
        "seat_builds": [r.as_dict() for r in cache.builds_of(images)],
    }


def _secret_in_reports(run_dir: Path, token: bytes) -> dict[str, Any]:
    """The secrets check that can only run once the report is written: the run's secret in
    none of the files the run wrote (report, results, facts, JUnit, logs, screenshots)."""
    scan = leaks.Scan()
    leaks.scan_tree(run_dir, leaks.Needles.of(token), scan, "the run's reports")
    message = "" if not scan.found else (
        f"expected the run's secret in no report or log of the run ({scan.files} files "
        f"scanned after the report was written); found it in {'; '.join(scan.found[:5])}"
    )  # fmt: skip
    return {
        "test": "post::test_secrets_not_in_reports_or_logs", "family": "secrets", "phase": "call",
        "outcome": "failed" if scan.found else "passed", "message": message, "duration_s": 0.0,
        "evidence": {"files_scanned": scan.files, "bytes_read": scan.bytes_read},
    }  # fmt: skip


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(CONFIG_KEY, None)
    if state is None or state.seat is None:
        return
    tr = terminalreporter
    tr.section("seatcheck")
    tr.write_line(f"run {state.seat.session}, profile {state.seat.config.profile.name}")
    tr.write_line(f"privilege: {state.seat.facts.privilege}")
    tr.write_line(f"report: {state.seat.config.run_dir}")
    if state.leftovers:
        tr.write_line("LEFT BEHIND after teardown: " + "; ".join(state.leftovers), red=True)
