"""The seat's fixtures: one seat per run, torn down by label even if set-up fails half way.

Registered through the ``pytest11`` entry point ``seatcheck_fixtures`` beside the plugin, so
that an installed seatcheck runs a checkout's suites as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import docker.errors
import pytest
from docker.models.containers import Container
from docker.models.volumes import Volume

from . import drivers, plugin, roles
from .errors import ProbeError, SetupError
from .parts.teardown import TeardownReport
from .topology import Seat


@pytest.fixture(scope="session")
def seat(request: pytest.FixtureRequest) -> Iterator[Seat]:
    # The finalizer is registered before anything starts, so a failed start is cleaned too.
    request.addfinalizer(lambda: plugin.teardown_seat(request.config))
    yield plugin.seat_for(request.config)


@pytest.fixture(scope="session")
def run_dir(seat: Seat) -> Path:
    """Where this run's report and evidence (screenshots, logs) go."""
    return seat.config.run_dir


@pytest.fixture(scope="session")
def squid(seat: Seat) -> Container:
    return seat.squid()


@pytest.fixture(scope="session")
def common_tmp(seat: Seat) -> Volume:
    return seat.tmp.volume()


@pytest.fixture(scope="session")
def gnome(seat: Seat) -> Container:
    return seat.gnome()


@pytest.fixture(scope="session")
def app_container(seat: Seat) -> Callable[[str], Container]:
    """A factory: the running app container of a role (chrome, vlc, shell)."""
    return seat.app


@pytest.fixture(scope="session")
def chrome(seat: Seat) -> Container:
    return seat.app(roles.CHROME)


@pytest.fixture(scope="session")
def vlc(seat: Seat) -> Container:
    return seat.app(roles.VLC)


@pytest.fixture(scope="session")
def shell(seat: Seat) -> Container:
    return seat.app(roles.SHELL)


@pytest.fixture(scope="session")
def presentation(seat: Seat) -> Callable[[str], drivers.Presentation]:
    """A factory: an app role's own program showing its colour and playing its tone, started
    once per run and shared by the window-pixel, pulse and GL checks of that role."""
    made: dict[str, drivers.Presentation] = {}

    def present(role: str) -> drivers.Presentation:
        if role not in seat.config.profile.apps:
            pytest.skip(f"the {seat.config.profile.name} profile has no {role} app")
        if role not in made:
            driver = drivers.driver_for(role, seat.app(role), seat.config.seat_user)
            made[role] = driver.present()
        return made[role]

    return present


@pytest.fixture(scope="session", autouse=True)
def apps_presenting_early(request: pytest.FixtureRequest) -> None:
    """Where the run's checks look at what apps present: every app container started at
    once, and each app's program started before the first check, so that chromium and VLC come
    up while the other checks run instead of when a check first asks for them."""
    if not any(
        "presentation" in getattr(item, "fixturenames", ()) for item in request.session.items
    ):
        return
    seat: Seat = request.getfixturevalue("seat")
    present = request.getfixturevalue("presentation")
    apps = list(seat.config.profile.apps)
    seat.start_apps(apps)
    with seat.timeline.phase("app programs started", "container"):
        for role in apps:
            # A failure here is met again, and reported, by the checks that need the role.
            with contextlib.suppress(SetupError, ProbeError, docker.errors.DockerException):
                present(role)


@pytest.fixture(scope="session")
def torn_down(request: pytest.FixtureRequest, seat: Seat, gnome: Container) -> TeardownReport:
    """The seat, stood up and then torn down: what teardown found and did. The test_teardown_
    checks that use it run after every other check (the plugin orders them last)."""
    report = plugin.teardown_seat(request.config)
    assert report is not None
    return report
