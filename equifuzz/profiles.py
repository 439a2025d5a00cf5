"""The four fuzz profiles by name, and which one is active.

The active profile is the one asked for (``--equifuzz-profile`` or an argument), else the
``EQUIFUZZ_PROFILE`` variable, else ``ci`` when the ``CI`` variable is set (to anything but ``""``,
``0``, ``false`` or ``no``), else ``dev``. The pytest plugin and the CI gate read it the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["PROFILES", "active_profile"]

PROFILES = ("dev", "ci", "nightly", "gpu")


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def active_profile(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The profile to use: ``option``, else EQUIFUZZ_PROFILE, else ``ci`` under CI, else ``dev``."""
    env = os.environ if environ is None else environ
    name = option or env.get("EQUIFUZZ_PROFILE") or ("ci" if _truthy(env.get("CI")) else "dev")
    if name not in PROFILES:
        raise ValueError(f"unknown equifuzz profile {name!r} (from --equifuzz-profile, profile= or "
                         f"EQUIFUZZ_PROFILE); choose one of {', '.join(PROFILES)}")
    return name
