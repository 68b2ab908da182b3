"""Fault plugins: each breaks a healthy seat in exactly one way, through seatcheck's hooks.

A fault test runs the unchanged suite with ``-p faults.<name>`` (tests/ on PYTHONPATH) and
asserts that the one check guarding that requirement fails, and the others still pass.
Parameters that a fault needs (a device node path) come in SEATCHECK_FAULT_* variables.
"""
