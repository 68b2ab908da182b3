"""The virtual profile's suite: the shared checks, against suites/virtual/profile.toml."""

from suites.checks.desktop import *  # noqa: F403
