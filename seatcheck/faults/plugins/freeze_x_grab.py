"""The app to be frozen holds an X server grab when it is frozen (a client of its own in the
vlc container calls XGrabServer): frozen with it, it blocks every other client."""

from ._helpers import grab_while_frozen

pytest_fixture_setup, pytest_runtest_teardown = grab_while_frozen(
    "test_freeze_others_go_on", "x.XGrabServer(d)"
)
