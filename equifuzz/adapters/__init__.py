"""Adapters from other libraries' representation objects to equifuzz blocks (``equifuzz.adapters.e3nn``).

Plain matrix-valued callables need no adapter: pass any ``Representation`` or ``ContinuousRepresentation``.
"""
