"""The virtual profile's suite: the shared checks, against suites/virtual/profile.toml."""

from suites.checks.console import *  # noqa: F403
from suites.checks.desktop import *  # noqa: F403
from suites.checks.gids import *  # noqa: F403
from suites.checks.glx import *  # noqa: F403
from suites.checks.ipc import *  # noqa: F403
from suites.checks.privilege import *  # noqa: F403
from suites.checks.pulse import *  # noqa: F403
from suites.checks.secrets import *  # noqa: F403
from suites.checks.selinux import *  # noqa: F403
from suites.checks.snapshot import *  # noqa: F403
from suites.checks.squid import *  # noqa: F403
from suites.checks.teardown import *  # noqa: F403
from suites.checks.x11 import *  # noqa: F403
from suites.checks.xorg import *  # noqa: F403

# Last before teardown: an app is paused while these run.
# The VPN's drop ends chrome's tunnel; chrome gets its routes back before the next checks.
from suites.checks.vpn import *  # noqa: F403  # isort: skip
from suites.checks.freeze import *  # noqa: F403  # isort: skip
