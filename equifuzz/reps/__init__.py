"""Real representations of finite groups (one float64 matrix per element) and of continuous groups.

A :class:`Representation` is validated at construction: shapes, finiteness, invertibility and the
homomorphism law rho(g h) = rho(g) rho(h) (checked for all g and all generators h, which suffices).

This module gathers the representations' public names: the Representation type and its algebra
(:mod:`equifuzz.reps.finite`), the named representations (:mod:`equifuzz.reps.families`), characters
and intertwiners (:mod:`equifuzz.reps.characters`) and representations of continuous groups
(:mod:`equifuzz.reps.continuous`).
"""

from __future__ import annotations

from .characters import decompose, dim_fix, dim_hom, fixed_basis, inner, intertwiners, irreducibles
from .continuous import ContinuousRepresentation, defining, determinant
from .families import coset, permutation, regular, rotation, sign, signed_permutation, standard, trivial
from .finite import (
    PermutationRepresentation,
    Representation,
    change_basis,
    direct_sum,
    from_generators,
    from_matrices,
    subgroup_from_elements,
    tensor,
)

__all__ = [
    "Representation",
    "PermutationRepresentation",
    "ContinuousRepresentation",
    "trivial",
    "sign",
    "regular",
    "coset",
    "permutation",
    "rotation",
    "standard",
    "signed_permutation",
    "direct_sum",
    "tensor",
    "change_basis",
    "from_matrices",
    "from_generators",
    "defining",
    "determinant",
    "inner",
    "dim_hom",
    "dim_fix",
    "intertwiners",
    "irreducibles",
    "decompose",
    "subgroup_from_elements",
    "fixed_basis",
]
