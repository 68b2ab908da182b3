"""Probes: each module measures one requirement family and returns structured evidence."""
