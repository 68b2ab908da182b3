"""Fault: image builds go to the mirrors direct, not through the package cache."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookimpl
def pytest_seatcheck_build_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    for name in ("http_proxy", "HTTP_PROXY"):
        kwargs["buildargs"].pop(name, None)
    kwargs.pop("network_mode", None)
