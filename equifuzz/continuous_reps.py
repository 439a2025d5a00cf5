"""Representations of the continuous groups SO(2), O(2), SO(3), O(3) by matrices (re-exported by
:mod:`equifuzz.reps`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import (
    ShapeError,
)
from .groups import ContinuousGroup
from .validation import (
    check_type,
)

__all__ = ["ContinuousRepresentation", "defining", "determinant"]


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
