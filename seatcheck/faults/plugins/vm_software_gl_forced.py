"""A vlc image that forces software GL (``ENV LIBGL_ALWAYS_SOFTWARE=1``, a common cure for
a driver's rendering glitches, baked into an app image): the render node and virgl's
driver are there, and Mesa renders on llvmpipe anyway. The VM builds no images, so the
image is the seat's vlc image with the variable committed into it, in the VM's engine."""

from typing import Any

from ._helpers import image_with


def pytest_seatcheck_container_config(seat: Any, role: str, kwargs: dict[str, Any]) -> None:
    if role == "vlc":
        kwargs["image"] = image_with(
            seat.client, kwargs["image"], changes=["ENV LIBGL_ALWAYS_SOFTWARE=1"]
        )
