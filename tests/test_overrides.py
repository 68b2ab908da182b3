"""``--seatcheck-image ROLE=IMAGE`` parsing."""

from __future__ import annotations

import pytest

from seatcheck.errors import UsageError
from seatcheck.roles import parse_image_overrides


def test_overrides_parse_and_last_wins() -> None:
    got = parse_image_overrides(["gnome=gnomep", "chrome=reg.example/chrome:2", "gnome=gnomeq"])
    assert got == {"gnome": "gnomeq", "chrome": "reg.example/chrome:2"}


def test_no_overrides() -> None:
    assert parse_image_overrides(None) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gnome", "is not ROLE=IMAGE"),
        ("=img", "is not ROLE=IMAGE"),
        ("gnome=", "is not ROLE=IMAGE"),
        ("firefox=img", "unknown role 'firefox'.*roles: squid, gnome, chrome, vlc, shell"),
    ],
)
def test_bad_override_is_refused(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_image_overrides([value])
