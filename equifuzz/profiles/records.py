"""The four fuzz profiles as one record each, and which one is active.

A :class:`Profile` holds everything a profile sets: the Hypothesis settings of the pytest plugin, the
batch size of batched checks, the CI gate's budget and the campaign's plan. The active profile is the
one asked for (``--equifuzz-profile``, ``equifuzz fuzz --profile`` or a ``profile=`` argument), else the
``EQUIFUZZ_PROFILE`` variable, else ``ci`` when the ``CI`` variable is set (to anything but ``""``,
``0``, ``false`` or ``no``), else ``dev``. The pytest plugin, the CI gate, the campaign and the command
line all choose through :func:`active_profile`; the plugin publishes its choice in ``EQUIFUZZ_PROFILE``
for the length of the session, so that a direct ``assert_equivariant`` call in a test (on any xdist
worker) runs under the profile of the pytest command line. Report folders follow the same pattern:
:func:`report_folder` (the option, else ``EQUIFUZZ_REPORTS``, else ``reports/``).

Importing this module imports neither torch nor Hypothesis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors.exceptions import EquifuzzError

__all__ = [
    "PROFILES",
    "PROFILE_VARIABLE",
    "REPORTS_VARIABLE",
    "CampaignPlan",
    "GateBudget",
    "HypothesisPlan",
    "Profile",
    "ProfileError",
    "active_profile",
    "choose_profile",
    "report_folder",
]

PROFILE_VARIABLE = "EQUIFUZZ_PROFILE"
REPORTS_VARIABLE = "EQUIFUZZ_REPORTS"


class ProfileError(EquifuzzError, ValueError):
    """An unknown profile name (the message names where it came from and the known names)."""


@dataclass(frozen=True)
class HypothesisPlan:
    """The Hypothesis settings of a profile. ``database``: ``"default"`` (Hypothesis's own), ``"none"``,
    or ``"examples"`` (``.hypothesis/examples`` under the pytest root, kept between runs)."""

    max_examples: int
    derandomize: bool = False
    database: str = "default"
    all_phases: bool = False
    print_blob: bool = False
    normal_verbosity: bool = False

    def settings_kwargs(self, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """Keyword arguments of ``hypothesis.settings`` (no deadline; slow-data health checks off)."""
        from hypothesis import HealthCheck, Phase, Verbosity
        from hypothesis.database import DirectoryBasedExampleDatabase

        kw: dict[str, Any] = dict(max_examples=self.max_examples, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        if self.derandomize:
            kw["derandomize"] = True
        if self.database == "none":
            kw["database"] = None
        elif self.database == "examples":
            kw["database"] = DirectoryBasedExampleDatabase(str(Path(root or ".") / ".hypothesis" / "examples"))
        if self.all_phases:
            kw["phases"] = tuple(Phase)  # explicit, reuse, generate, target, shrink (and explain where it exists)
        if self.print_blob:
            kw["print_blob"] = True
        if self.normal_verbosity:
            kw["verbosity"] = Verbosity.normal
        return kw


@dataclass(frozen=True)
class GateBudget:
    """How hard the CI gate looks: inputs per set, random words/Haar samples, search rounds and width,
    and the minimizer's evaluation budget."""

    n_inputs: int
    n_words: int
    search_rounds: int
    search_width: int
    minimize_checks: int


@dataclass(frozen=True)
class CampaignPlan:
    """What ``equifuzz fuzz`` runs: the groups (names of the campaign's catalogue), drawn seeds per
    (group, representations) setting, network width, search inputs per case, and the compensation
    sweep's optimizer settings and widths."""

    groups: tuple[str, ...]
    seeds_per_setting: int
    width: int
    n_inputs: int
    sweep: dict[str, Any] = field(hash=False)
    sweep_widths: tuple[int, ...]


@dataclass(frozen=True)
class Profile:
    """One fuzz profile: its Hypothesis settings, the batch size of batched checks (inputs per network),
    the gate's budget and the campaign's plan."""

    name: str
    purpose: str
    hypothesis: HypothesisPlan
    batch_size: int
    gate: GateBudget
    campaign: CampaignPlan


_ALL_GROUPS = ("C2", "C3", "C4", "C6", "V4", "D3", "D4", "D6", "S3", "Q8", "A4", "S4")

PROFILES: dict[str, Profile] = {
    "dev": Profile(
        "dev", "fast local runs (the default)",
        HypothesisPlan(30),
        256,
        GateBudget(64, 16, 12, 4, 48),
        CampaignPlan(("C2", "C3", "C4", "C6", "V4", "D3", "D4", "S3"), 2, 4, 512,
                     dict(restarts=12, adam_steps=300, lbfgs_steps=200, n_train=16384, n_eval=100_000),
                     (1, 2, 3, 4, 5, 6)),
    ),
    "ci": Profile(
        "ci", "reproducible gating (the default when CI is set)",
        HypothesisPlan(60, derandomize=True, database="none", print_blob=True),
        256,
        GateBudget(64, 16, 12, 4, 48),
        CampaignPlan(("C2", "C4", "V4", "D3"), 1, 3, 256,
                     dict(restarts=8, adam_steps=250, lbfgs_steps=150, n_train=8192, n_eval=50_000), (2, 4, 6)),
    ),
    "nightly": Profile(
        "nightly", "long hunts (database kept, targeting on)",
        HypothesisPlan(2000, database="examples", all_phases=True, print_blob=True, normal_verbosity=True),
        4096,
        GateBudget(512, 64, 48, 8, 96),
        CampaignPlan(_ALL_GROUPS, 6, 6, 2048,
                     dict(restarts=16, adam_steps=400, lbfgs_steps=300, n_train=16384, n_eval=200_000),
                     (1, 2, 3, 4, 5, 6)),
    ),
    "gpu": Profile(
        "gpu", "device runs (large batches)",
        HypothesisPlan(300),
        65536,
        GateBudget(4096, 128, 48, 8, 96),
        CampaignPlan(_ALL_GROUPS, 16, 8, 8192,
                     dict(restarts=64, adam_steps=400, lbfgs_steps=300, n_train=65536, n_eval=1_000_000),
                     (1, 2, 3, 4, 5, 6)),
    ),
}


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def active_profile(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The name of the profile to use: ``option``, else EQUIFUZZ_PROFILE, else ``ci`` under CI, else ``dev``."""
    env = os.environ if environ is None else environ
    name = option or env.get(PROFILE_VARIABLE) or ("ci" if _truthy(env.get("CI")) else "dev")
    if name not in PROFILES:
        source = "the option or profile= argument" if option else f"the {PROFILE_VARIABLE} variable"
        raise ProfileError(f"unknown equifuzz profile {name!r} (from {source}); choose one of {', '.join(PROFILES)}")
    return name


def choose_profile(option: str | None = None, environ: Mapping[str, str] | None = None) -> Profile:
    """The :class:`Profile` record chosen by :func:`active_profile`."""
    return PROFILES[active_profile(option, environ)]


def report_folder(option: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None,
                  root: str | os.PathLike[str] | None = None) -> Path:
    """Where reports go: ``option``, else EQUIFUZZ_REPORTS, else ``reports/`` under ``root`` (default: the
    current directory). The folder is not created here."""
    env = os.environ if environ is None else environ
    chosen = option or env.get(REPORTS_VARIABLE)
    return Path(chosen) if chosen else Path(root or ".") / "reports"
