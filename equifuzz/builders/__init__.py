"""Groups, representations and networks built to order, with their truth known: the seeded network
builders (``networks``), the worked examples of the theory (``examples``) and the built-in catalog of
groups and representations with their laws checked (``catalog``).
"""

from __future__ import annotations

from .examples import Case, all_examples, example_a, example_b, example_gn_gen
from .networks import build_flipped_net, build_layerwise_net, build_relu_net, build_symmetrized_net, reversing_elements

__all__ = [
    "build_relu_net",
    "build_layerwise_net",
    "build_symmetrized_net",
    "build_flipped_net",
    "reversing_elements",
    "Case",
    "example_a",
    "example_b",
    "example_gn_gen",
    "all_examples",
]
