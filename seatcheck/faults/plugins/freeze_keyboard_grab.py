"""The app to be frozen holds the keyboard when it is frozen (a client of its own in the vlc
container calls XGrabKeyboard, as a full-screen player or a screen locker does): the
desktop still draws and plays, but nobody can type into any other window."""

from ._helpers import grab_while_frozen

# owner_events False, both modes GrabModeAsync (1), CurrentTime (0)
pytest_fixture_setup, pytest_runtest_teardown = grab_while_frozen(
    "test_freeze_input_reaches_other_apps", "x.XGrabKeyboard(d, r, 0, 1, 1, 0)"
)
