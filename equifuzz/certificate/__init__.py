"""The independent checker (``checker``): re-verifies a verdict's evidence by direct, exact evaluation,
sharing nothing with the oracles but the network weights.
"""

from __future__ import annotations

from .checker import (
    ExactNet,
    Witness,
    WitnessEvaluator,
    check_verdict,
    evaluate_witness,
    exact_net,
    sci,
    verify_matching,
    verify_permutation,
    verify_witness,
)

__all__ = [
    "ExactNet",
    "Witness",
    "WitnessEvaluator",
    "evaluate_witness",
    "verify_witness",
    "verify_matching",
    "verify_permutation",
    "check_verdict",
    "exact_net",
    "sci",
]
