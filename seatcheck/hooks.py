"""Hooks a suite or plugin can implement to extend (or, in fault tests, break) the seat."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    """Adjust the engine's create() arguments for ``role``'s container before it is created."""


@hookspec
def pytest_seatcheck_container_started(seat: Any, role: str, container: Any) -> None:
    """``role``'s container is ready (for gnome: GNOME Shell owns the screen, pulse answers)."""


@hookspec
def pytest_seatcheck_build_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    """Adjust the engine's build() arguments for ``role``'s image (its build args carry the
    package cache's proxy) before it is built."""
