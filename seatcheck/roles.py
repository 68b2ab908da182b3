"""The roles of a seat and the image overrides that replace them for a run."""

from __future__ import annotations

from .errors import UsageError

SQUID = "squid"
GNOME = "gnome"
CHROME = "chrome"
VLC = "vlc"
SHELL = "shell"
VPN = "vpn"  # the per-app VPN's parts: endpoint, client sidecar, test and canary servers

APP_ROLES: tuple[str, ...] = (CHROME, VLC, SHELL)
# The images a seat user's desktop is made of (their groups must be the host's).
SEAT_IMAGE_ROLES: tuple[str, ...] = (SQUID, GNOME, *APP_ROLES)
IMAGE_ROLES: tuple[str, ...] = (*SEAT_IMAGE_ROLES, VPN)
# Not images: the shared /tmp volume and the seat network.
COMMON_TMP = "common_tmp"
NETWORK = "network"


def parse_image_overrides(values: list[str] | None) -> dict[str, str]:
    """Parse repeated ``ROLE=IMAGE`` values; the last one for a role wins."""
    overrides: dict[str, str] = {}
    for value in values or []:
        role, sep, image = value.partition("=")
        role, image = role.strip(), image.strip()
        if not sep or not role or not image:
            raise UsageError(f"image override {value!r} is not ROLE=IMAGE")
        if role not in IMAGE_ROLES:
            raise UsageError(
                f"image override {value!r}: unknown role {role!r} (roles: {', '.join(IMAGE_ROLES)})"
            )
        overrides[role] = image
    return overrides
