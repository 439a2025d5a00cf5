"""The runner: batched equivariance errors on the device, adversarial search, compensation sweeps.

Layer 5: imports groups, reps, nets and oracles; never report or a face.
"""

from .adversarial import AdversarialResult, adversarial_search, hypothesis_target, kink_starts
from .kernel import (
    CONFIRM_TOL,
    DEFAULT_EPS,
    DEFAULT_MAX_BYTES,
    SCREEN_TOL,
    KernelMemoryError,
    KernelResult,
    NetBatch,
    default_device,
    element_gaps,
    equivariance_errors,
    group_errors,
    no_tf32,
    paired_errors,
    peak_bytes,
    plan_chunks,
)
from .screen import Counterexample, ScreenReport, screen_then_confirm
from .sweep import (
    OrbitType,
    SweepResult,
    SweepRow,
    WidthResult,
    best_layerwise_risk,
    compensation_sweep,
    minimal_layerwise_width,
    orbit_types,
)

__all__ = [
    "CONFIRM_TOL", "DEFAULT_EPS", "DEFAULT_MAX_BYTES", "SCREEN_TOL", "Counterexample", "KernelMemoryError",
    "KernelResult", "NetBatch", "ScreenReport", "default_device", "element_gaps", "equivariance_errors",
    "group_errors", "no_tf32", "paired_errors", "peak_bytes", "plan_chunks", "screen_then_confirm",
    "AdversarialResult", "adversarial_search", "hypothesis_target", "kink_starts",
    "OrbitType", "SweepResult", "SweepRow", "WidthResult", "best_layerwise_risk", "compensation_sweep",
    "minimal_layerwise_width", "orbit_types",
]
