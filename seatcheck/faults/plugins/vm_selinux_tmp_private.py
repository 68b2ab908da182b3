"""Another container of the user's, started while the seat runs, mounts the seat's shared
/tmp volume with ``:Z`` (a private label, as a guide for one container's volume would have
it): the engine relabels every file there to that container's own MCS level, the X socket
included. Real state under enforcing SELinux: the engine's own relabel, seen on the files.
It starts once the apps are up (their own ``:z`` would relabel the volume shared again),
before the first check that reads the labels."""

import pytest

from seatcheck.engine.labels import labels

_done: list[bool] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    seat = getattr(item, "funcargs", {}).get("seat")
    if _done or seat is None or not item.name.startswith("test_selinux_shared_volume"):
        return
    _done.append(True)
    helper = seat.client.containers.create(
        seat.gnome().image.id, command=["true"], network_mode="none",
        labels=labels(seat.session, "fault-tmp-private"),
        volumes={seat.tmp.volume().name: {"bind": "/tmp", "mode": "rw,Z"}},
    )  # fmt: skip
    try:
        helper.start()  # the relabel happens as it starts
        helper.wait(timeout=60)
    finally:
        helper.remove(force=True)
