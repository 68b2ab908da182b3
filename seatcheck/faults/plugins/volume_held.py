"""A container started outside the seat (no session label) keeps using common_tmp, so the
volume cannot be removed at teardown."""

from typing import Any

BLOCKER_LABEL = "seatcheck-test.blocker"


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "gnome":
        seat.client.containers.run(
            seat.images.base_image(), ["sleep", "600"], detach=True,
            volumes={seat.tmp.volume().name: {"bind": "/tmp"}},
            labels={BLOCKER_LABEL: seat.session},
        )  # fmt: skip
