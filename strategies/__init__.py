"""Hypothesis strategies for equifuzz: groups, subgroups, representations, seeds, networks, mutants, inputs.

Import as ``from equifuzz import strategies as efs``. Strategies draw structure through Hypothesis
(so failures shrink towards small cyclic groups and trivial representations) and large arrays from a
drawn integer seed.
"""

from ._checks import InvalidStrategyArgument
from ._groups import FAMILIES, groups, seeds, subgroups
from ._inputs import INPUT_FAMILIES, build_inputs, inputs
from ._mutants import MUTANT_KINDS, Mutant, epsilons, find_witness, mutants, plant
from ._nets import (
    EQUIVARIANT_KINDS,
    DrawnNet,
    build_flipped_net,
    build_layerwise_net,
    build_relu_net,
    build_symmetrized_net,
    equivariant_nets,
    layerwise_nets,
    relu_nets,
    rep_pairs,
    reversing_elements,
)
from ._reps import KINDS, change_of_basis_matrix, representations

__all__ = [
    "InvalidStrategyArgument",
    "FAMILIES",
    "KINDS",
    "change_of_basis_matrix",
    "groups",
    "representations",
    "seeds",
    "subgroups",
    # networks
    "DrawnNet",
    "EQUIVARIANT_KINDS",
    "relu_nets",
    "layerwise_nets",
    "equivariant_nets",
    "rep_pairs",
    "build_relu_net",
    "build_layerwise_net",
    "build_symmetrized_net",
    "build_flipped_net",
    "reversing_elements",
    # planted defects
    "MUTANT_KINDS",
    "Mutant",
    "mutants",
    "plant",
    "epsilons",
    "find_witness",
    # inputs
    "INPUT_FAMILIES",
    "inputs",
    "build_inputs",
]
