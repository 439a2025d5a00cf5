"""Two-layer ReLU networks f(x) = W2 relu(W1 x + b1) + b2: the network and its canonical form
(``relu_net``), the canonical data per neuron in float64 and exactly (``canonical``), exact arithmetic
on the weights (``exact``) and the argument checks of networks (``validation``).
"""

from __future__ import annotations

from .relu_net import (
    HYPERPLANE_TOL,
    CanonicalForm,
    DisjointSets,
    ReLUNet,
    cluster_rows,
    cluster_unoriented,
    float_views,
    from_torch,
)

__all__ = [
    "ReLUNet",
    "CanonicalForm",
    "from_torch",
    "cluster_rows",
    "cluster_unoriented",
    "DisjointSets",
    "float_views",
    "HYPERPLANE_TOL",
]
