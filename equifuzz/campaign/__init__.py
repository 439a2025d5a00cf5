"""The main job: the campaign over the claims of the theory (``driver``), the engines its shards run on
(``engines``: local processes or a Ray cluster), its summary.md (``summary``) and its compensation
figure (``compensation``).
"""

from __future__ import annotations

from .compensation import plot_compensation
from .driver import (
    CLAIMS,
    PROFILES,
    SUMMARY_SCHEMA_VERSION,
    CampaignInterrupted,
    CampaignPlan,
    CampaignResult,
    load_summary,
    run_campaign,
)
from .engines import ENGINES, MAX_RETRIES, EngineError, LocalEngine, RayEngine, local_devices, make_engine, run_shard
from .summary import minimal_width_str, summary_markdown

__all__ = [
    "CLAIMS",
    "PROFILES",
    "CampaignPlan",
    "CampaignInterrupted",
    "CampaignResult",
    "run_campaign",
    "load_summary",
    "SUMMARY_SCHEMA_VERSION",
    "ENGINES",
    "MAX_RETRIES",
    "EngineError",
    "LocalEngine",
    "RayEngine",
    "make_engine",
    "local_devices",
    "run_shard",
    "summary_markdown",
    "minimal_width_str",
    "plot_compensation",
]
