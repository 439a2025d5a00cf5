"""Pytest plugin for the mutation run (``-p mutation_profile``): registers the Hypothesis profile
``mutation`` (few derandomized examples, no database, no deadline), so every mutant sees the same draws."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutation",
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
