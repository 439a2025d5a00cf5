"""The four fuzz profiles as one record each, and which one is active (``records``). Importing it imports
neither torch nor Hypothesis.
"""

from __future__ import annotations

from .records import (
    PROFILE_VARIABLE,
    PROFILES,
    REPORTS_VARIABLE,
    CampaignPlan,
    GateBudget,
    HypothesisPlan,
    Profile,
    ProfileError,
    active_profile,
    choose_profile,
    report_folder,
)

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
