"""Fault: squid joins the seat network without its recipe name, so nothing resolves rpmcache."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookimpl
def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "squid":
        kwargs.pop("networking_config", None)
