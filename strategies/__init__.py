"""Hypothesis strategies for equifuzz: groups, subgroups, representations and seeds.

Import as ``from equifuzz import strategies as efs``. Strategies draw structure through Hypothesis
(so failures shrink towards small cyclic groups and trivial representations) and large arrays from a
drawn integer seed.
"""

from ._groups import FAMILIES, groups, seeds, subgroups
from ._reps import KINDS, change_of_basis_matrix, representations

__all__ = [
    "FAMILIES",
    "KINDS",
    "change_of_basis_matrix",
    "groups",
    "representations",
    "seeds",
    "subgroups",
]
