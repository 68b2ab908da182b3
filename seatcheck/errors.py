"""Errors that end a run with one clear line (and, for set-up failures, a log tail)."""

from __future__ import annotations


class SeatcheckError(Exception):
    """A failure the user can act on; str() is the one line we print."""


class EngineUnavailable(SeatcheckError):
    """No container engine answers."""


class ProfileError(SeatcheckError):
    """A profile is unknown or its file is malformed."""


class HardwareMismatch(SeatcheckError):
    """The machine lacks the hardware the profile runs on (or has only other hardware)."""


class UsageError(SeatcheckError):
    """Bad input on the command line (an unknown role, a malformed override, ...)."""


class ImageError(SeatcheckError):
    """A base image or role image could not be made or found."""


class ProbeError(SeatcheckError):
    """A probe could not measure what it was asked to (its command failed, its evidence is
    unreadable). A check that meets one errors with the probe's output: no evidence, no pass."""


class SetupError(SeatcheckError):
    """Standing up one role of the seat failed.

    Carries the role and the last lines of that role's log (build log or container log)
    so that a user sees why without digging.
    """

    def __init__(self, role: str, message: str, log_tail: str = "") -> None:
        self.role = role
        self.message = message
        self.log_tail = log_tail.rstrip()
        text = f"set-up of role '{role}' failed: {message}"
        if self.log_tail:
            text += f"\n--- last lines of the {role} log ---\n{self.log_tail}"
        super().__init__(text)
