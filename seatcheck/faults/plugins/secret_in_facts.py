"""A harness extension notes the run's secret in the run's facts (so in facts.json and the
report): a leak only the scan after the report is written can see."""

from typing import Any


def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    if role == "shell":
        seat.facts.extra["extension_note"] = seat.secrets.get().token.decode()
