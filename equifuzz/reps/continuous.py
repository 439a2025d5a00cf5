"""Representations of the continuous groups SO(2), O(2), SO(3), O(3) by matrices (re-exported by
:mod:`equifuzz.reps`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors.exceptions import ShapeError
from ..errors.validation import check_type
from ..groups.continuous import ContinuousGroup

__all__ = ["ContinuousRepresentation", "defining", "determinant", "rotation_turns"]


@dataclass(frozen=True)
class ContinuousRepresentation:
    """A representation of a continuous matrix group, as a callable from a group matrix to a matrix."""

    group: ContinuousGroup
    dim: int
    fn: Callable[[np.ndarray], np.ndarray]
    name: str = "rep"

    def __call__(self, m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=np.float64)
        if m.ndim == 3:
            return np.stack([self(x) for x in m])
        if m.shape != (self.group.dim, self.group.dim):
            raise ShapeError(f"{self.group.name} elements are ({self.group.dim}, {self.group.dim}) matrices, "
                             f"got {m.shape}")
        out = np.asarray(self.fn(m), dtype=np.float64).reshape(self.dim, self.dim)
        return out


def defining(K: ContinuousGroup) -> ContinuousRepresentation:
    """The defining representation: a matrix acts as itself."""
    check_type("K", K, ContinuousGroup, "a ContinuousGroup such as so3()")
    return ContinuousRepresentation(K, K.dim, lambda m: m, name="defining")


def determinant(K: ContinuousGroup) -> ContinuousRepresentation:
    """The one-dimensional representation m -> det(m) (+-1)."""
    check_type("K", K, ContinuousGroup, "a ContinuousGroup such as so3()")
    return ContinuousRepresentation(K, 1, lambda m: np.array([[np.round(np.linalg.det(m))]]), name="det")


def rotation_turns(q: Fraction) -> np.ndarray:
    """The SO(2) matrix of the angle 2 pi q: entries exact where rational (q a multiple of 1/4 or 1/6: 0, +-1/2,
    +-1, by Niven's theorem), else cos and sin of the angle folded into [0, 1/8] of a turn."""
    c, s = _cos_turns(q), _cos_turns(q - Fraction(1, 4))
    return np.array([[c, -s], [s, c]]) + 0.0


def _cos_turns(q: Fraction) -> float:
    """cos(2 pi q): exact where rational (q a multiple of 1/4 or 1/6), else of the angle folded into [0, 1/8]."""
    q, sign = q - math.floor(q), 1.0
    if q in _RATIONAL_COS:
        return _RATIONAL_COS[q]
    q = min(q, 1 - q)  # [0, 1/2]
    if q > Fraction(1, 4):
        q, sign = Fraction(1, 2) - q, -1.0
    if q > Fraction(1, 8):
        return sign * math.sin(2 * math.pi * float(Fraction(1, 4) - q))
    return sign * math.cos(2 * math.pi * float(q))


_RATIONAL_COS = {Fraction(k, 12): c for k, c in ((0, 1.0), (2, 0.5), (3, 0.0), (4, -0.5), (6, -1.0), (8, -0.5),
                                                 (9, 0.0), (10, 0.5))}
