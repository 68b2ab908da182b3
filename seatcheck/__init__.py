"""seatcheck: a conformance and integration harness for the contained desktop."""

__version__ = "0.1.0"
