"""The requirement checks, written once and run by every profile's folder.

Test names start with the requirement family (test_glx_, test_x11_, test_ipc_, test_pulse_,
test_gids_, test_selinux_), so a report or a JUnit file shows which requirement failed.
"""
