"""Fault plugins: each breaks a healthy seat in exactly one way, through seatcheck's hooks.

A fault run starts the unchanged suite with ``-p seatcheck.faults.plugins.<name>`` and the
catalogue (``seatcheck.faults.catalogue``) says which checks must fail and with what message.
Parameters that a fault needs (a device node path) come in SEATCHECK_FAULT_* variables.
"""
