"""The package cache (the recipe's squid, reached as rpmcache): it answers the seat's
containers, serves a second fetch from its store, never serves apt's index files stale,
refuses clients from outside the seat's network, and the last build's hit ratio is reported.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from docker.models.containers import Container

from seatcheck import cache, reports, roles
from seatcheck.engine import execs
from seatcheck.plugin import package_cache_facts
from seatcheck.probes import squid as squid_probe
from seatcheck.topology import Seat

from .common import Record, app_of

pytestmark = pytest.mark.family("squid")

PACKAGE = "hello"  # a small package every Debian mirror has
MIRROR_PORT = 8080


UPDATED_ROLES = (roles.GNOME, roles.SHELL)


@dataclass(frozen=True)
class AptUpdate:
    result: execs.ExecResult
    entries: list[squid_probe.AccessEntry]  # what squid logged from that container meanwhile


@pytest.fixture(scope="module")
def apt_updates(seat: Seat, squid: Container) -> dict[str, AptUpdate]:
    """A run-time install's first step, ``apt-get update``, in gnome and in the shell app at
    the same time (each mostly waits on the mirror's answers through the cache)."""
    containers = {
        role: seat.gnome() if role == roles.GNOME else seat.app(role)
        for role in UPDATED_ROLES
        if role == roles.GNOME or role in seat.config.profile.apps
    }
    mark = squid_probe.log_mark(squid)
    with ThreadPoolExecutor(max_workers=len(containers)) as pool:
        futures = {
            role: pool.submit(execs.run, container, ["apt-get", "update"], timeout=120)
            for role, container in containers.items()
        }
        results = {role: future.result() for role, future in futures.items()}
    logged = squid_probe.entries_since(squid, mark)
    return {
        role: AptUpdate(
            results[role], [e for e in logged if e.client == seat.network.address_of(container)]
        )
        for role, container in containers.items()
    }


@pytest.mark.parametrize("role", UPDATED_ROLES)
def test_squid_answers(
    seat: Seat, apt_updates: dict[str, AptUpdate], role: str, record_property: Record
) -> None:
    """A run-time install's first step (apt-get update) goes through rpmcache and works. Not
    looked at: the chrome and vlc containers (gnome and the shell app are updated), and whether
    every index file came through the cache (one served entry is enough)."""
    if role != roles.GNOME:
        app_of(seat, role)  # skips where the profile has no such app
    update = apt_updates[role]
    mine = update.entries
    record_property("squid_entries", [e.describe() for e in mine])
    served = [e for e in mine if e.action != "TCP_DENIED" and 200 <= e.status < 400]
    assert update.result.ok and served, (
        f"expected apt-get update in the {role} container to fetch its index files through "
        f"{cache.RUNTIME_PROXY}; found {update.result.describe()}; squid logged "
        + ("; ".join(e.describe() for e in mine[:3]) or "nothing from that container")
    )


def test_squid_second_fetch_is_a_hit(
    seat: Seat, squid: Container, apt_updates: dict[str, AptUpdate], record_property: Record
) -> None:
    """In the shell app, apt-get download fetches one small package twice; squid logs both
    fetches, the second served from its cache (TCP_HIT or TCP_MEM_HIT). Not looked at: a cache
    that keeps objects in memory only (a memory hit passes) or loses them when squid restarts,
    and packages larger than this one."""
    shell = app_of(seat, roles.SHELL)
    assert apt_updates[roles.SHELL].result.ok, (
        f"expected apt-get update in shell to work before fetching {PACKAGE}; found "
        f"{apt_updates[roles.SHELL].result.describe()}"
    )
    script = (
        f"for i in 1 2; do d=$(mktemp -d) && cd $d && apt-get download -q {PACKAGE} "
        ">/dev/null && ls; done"
    )
    mark = squid_probe.log_mark(squid)
    result = execs.shell(shell, script, timeout=120)
    assert result.ok, (
        f"expected apt-get download {PACKAGE} to work in shell; found {result.describe()}"
    )
    address = seat.network.address_of(shell)
    fetches = [
        e for e in squid_probe.entries_since(squid, mark)
        if e.client == address and f"/{PACKAGE}_" in e.url and e.is_package
    ]  # fmt: skip
    record_property("fetches", [e.describe() for e in fetches])
    assert len(fetches) >= 2, (
        f"expected squid to log both fetches of {PACKAGE}; found {len(fetches)}: "
        + "; ".join(e.describe() for e in fetches)
    )
    first, second = fetches[-2], fetches[-1]
    assert second.from_cache, (
        f"expected the second fetch of {second.url} through rpmcache to be served from the "
        f"cache (TCP_HIT or TCP_MEM_HIT); found {second.action}/{second.status} "
        f"(first fetch: {first.action}/{first.status})"
    )


def test_squid_index_files_never_stale(
    seat: Seat, squid: Container, record_property: Record
) -> None:
    """A mirror changes its InRelease: a fetch through the cache gets the new one at once (a
    stale InRelease next to fresh by-hash files is apt's "hash sum mismatch"). Not looked at:
    Packages, Sources and Translation files (InRelease alone changes), and other repositories or
    deb822 .sources."""
    shell = app_of(seat, roles.SHELL)
    # A path of this run's own: the persistent cache must hold no copy from an earlier run
    # (the same address, port and path again would make its first fetch a hit).
    suite = f"seat-{seat.session.lower()}-{secrets.token_hex(3)}"
    dists = f"/srv/debian/dists/{suite}"
    mirror = seat.sidecar(
        "mirror", seat.images.role_image(roles.SHELL),
        ["sh", "-c", f"mkdir -p {dists} && exec python3 -m http.server {MIRROR_PORT} -d /srv"],
    )  # fmt: skip
    try:
        url = (
            f"http://{seat.network.address_of(mirror)}:{MIRROR_PORT}/debian/dists/{suite}/InRelease"
        )
        token = secrets.token_hex(4)

        def publish(version: int, age: int) -> None:
            # The mirror's file, with a modification time ``age`` seconds in the past.
            stamp = int(time.time()) - age
            body = f"Origin: seatcheck-{token}\\nVersion: {version}\\n"
            res = execs.shell(
                mirror,
                f"printf '{body}' > {dists}/InRelease.new && touch -d @{stamp} "
                f"{dists}/InRelease.new && mv {dists}/InRelease.new {dists}/InRelease",
            )
            assert res.ok, f"expected to publish InRelease on the test mirror; {res.describe()}"

        publish(1, age=3600)
        first = _fetch_when_up(shell, url)
        assert first.status == 200 and "Version: 1" in first.body, (
            f"expected the test mirror's InRelease (Version: 1) through rpmcache; found "
            f"{first.describe()}"
        )
        mark = squid_probe.log_mark(squid)
        publish(2, age=60)
        second = squid_probe.fetch(shell, url, cache.RUNTIME_PROXY)
        logged = [e.describe() for e in squid_probe.entries_since(squid, mark) if e.url == url]
        record_property("refetch", {"fetch": second.describe(), "squid": logged})
        assert second.status == 200 and "Version: 2" in second.body, (
            "expected InRelease fetched through rpmcache after the mirror changed to be the "
            f"new one (Version: 2); found {second.describe()} with body {second.body!r}; "
            f"squid logged {'; '.join(logged) or 'nothing'}"
        )
    finally:
        mirror.remove(force=True)


def _index_urls(shell: Container) -> list[str]:
    """The InRelease URLs the seat's own apt uses (its sources, as its images were built)."""
    listing = execs.shell(
        shell, "cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null", timeout=15
    ).stdout
    urls = []
    for line in listing.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "deb" and words[1].startswith("http://"):
            urls.append(f"{words[1].rstrip('/')}/dists/{words[2]}/InRelease")
    return urls


def test_squid_real_index_files_revalidated(
    seat: Seat, squid: Container, record_property: Record
) -> None:
    """The index files of the mirrors the seat's builds and installs really use (read from
    its apt sources) are never served from the cache without asking the mirror: two fetches
    through rpmcache, each a miss or a revalidation (TCP_REFRESH_*), never a plain hit. A
    rule for the real mirror's host that keeps its index files fresh for a while is what
    the test mirror above cannot see. Not looked at: the by-hash files (kept on purpose)."""
    shell = app_of(seat, roles.SHELL)
    urls = _index_urls(shell)
    assert urls, "expected the shell app's apt sources to name an http:// mirror; found none"
    mark = squid_probe.log_mark(squid)
    fetched = [squid_probe.fetch(shell, url, cache.RUNTIME_PROXY) for url in urls for _ in (1, 2)]
    logged = [e for e in squid_probe.entries_since(squid, mark) if e.url in urls]
    record_property("real_index", {
        "urls": urls, "fetches": [f.describe() for f in fetched],
        "squid": [e.describe() for e in logged],
    })  # fmt: skip
    assert all(f.status == 200 for f in fetched) and len(logged) >= 2 * len(urls), (
        f"expected each of {', '.join(urls)} fetched twice through rpmcache and logged by "
        f"squid; found {'; '.join(f.describe() for f in fetched)}; squid logged {len(logged)}"
    )
    stale = [e for e in logged if "HIT" in e.action or "FAIL_OLD" in e.action]
    assert not stale, (
        "expected the real mirror's index files revalidated with the mirror on every fetch "
        f"(TCP_MISS or TCP_REFRESH_*); found {'; '.join(e.describe() for e in stale)}"
    )


def _fetch_when_up(container: Container, url: str) -> squid_probe.Fetch:
    """The first fetch from a mirror that has just started (it may need a moment)."""
    deadline = time.monotonic() + 15
    while True:
        found = squid_probe.fetch(container, url, cache.RUNTIME_PROXY)
        if found.status not in (0, 502, 503) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_squid_refuses_clients_outside_seat(
    seat: Seat, squid: Container, record_property: Record
) -> None:
    """squid also gets an address on a network apart from the seat's; a client there must be
    refused, though nothing but squid's own rule stands in its way. Not looked at: squid's ports
    other than the cache's, IPv6, and a container that is not the seat's but is joined to the
    seat network (its subnet is let in)."""
    outside = seat.network.extra("outside")
    try:
        outside.connect(squid)
        squid.reload()
        address = squid.attrs["NetworkSettings"]["Networks"][outside.name]["IPAddress"]
        url = f"{seat.config.base.mirror}/dists/{seat.config.base.suite}/InRelease"
        command, env = squid_probe.fetch_command(url, f"http://{address}:{cache.PORT}")
        result = seat.oneshot(
            roles.SHELL, command, network_mode=outside.name, environment=env, timeout=30
        )
        found = squid_probe.parse_fetch(url, result.stdout)
        record_property("outside_fetch", found.describe())
        assert found.status == 403, (
            f"expected squid to refuse a client on {outside.name} outside the seat network "
            f"{', '.join(seat.network.subnets())} (HTTP 403); found {found.describe()}"
        )
    finally:
        with contextlib.suppress(Exception):
            outside.disconnect(squid, force=True)
        with contextlib.suppress(Exception):
            outside.remove()


def test_squid_build_hit_ratio_in_report(
    seat: Seat, squid: Container, record_property: Record
) -> None:
    """The builds that made the seat's own images (found by image id, whichever run built
    them) fetched their packages through the cache, and the run's report shows each one's
    hit ratio from squid's counts. Not looked at: images the seat did not build (an
    override from elsewhere has no build record)."""
    facts = {**seat.facts.as_dict(), "package_cache": package_cache_facts(seat)}
    builds = facts["package_cache"]["seat_builds"]
    record_property("seat_builds", builds)
    assert builds, (
        "expected a record of the build that made at least one of the seat's images "
        f"({', '.join(facts['images'])}) and fetched packages; found none in "
        f"{cache.builds_dir()} (images built before seatcheck kept build records must be "
        "rebuilt once)"
    )
    # squid's own log for the build's time is the evidence, not the build's proxy argument.
    for build in builds:
        assert build["cache"].get("requests"), (
            f"expected the build of the seat's {build['role']} image ({build['tag']}, "
            f"{build['started']}) to fetch its packages through the cache; found "
            f"{build['apt_fetches']} apt fetches and {build['cache'].get('requests', 0)} "
            f"requests at squid (proxy: {build['proxy']})"
        )
    page = reports.render_run(facts, [], [], {})
    for build in builds:
        hits, requests = build["cache"].get("hits", 0), build["cache"]["requests"]
        figures = f"{100 * hits / requests:.1f} % ({hits}/{requests})"  # squid's own counts
        row = f"image build: {build['role']}"
        assert row in page and figures in page.split(row, 1)[1][:400], (
            f"expected the run report to show the {build['role']} image build's hit ratio "
            f"{figures}; found {'no such row' if row not in page else 'other figures'}"
        )
