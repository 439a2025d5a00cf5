"""Continuous groups SO(2), O(2), SO(3), O(3) for gating external code: Haar samplers and a fixed
finite covering subgroup (re-exported by :mod:`equifuzz.groups`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .closure import from_matrices
from .families import cyclic, dihedral
from .finite import FiniteGroup

__all__ = ["ContinuousGroup", "so2", "o2", "so3", "o3"]


@dataclass(frozen=True)
class ContinuousGroup:
    """A compact matrix group: SO(2), O(2), SO(3) or O(3), acting on R^``dim``.

    ``sample(n, generator)`` draws float64 matrices from the Haar measure; ``covering()`` is a fixed
    finite subgroup used for deterministic gating (the cube group for O(3), D_12 for O(2), ...).
    """

    name: str
    dim: int
    orientation_preserving: bool

    def sample(self, n: int, generator: np.random.Generator | int | None = None) -> np.ndarray:
        rng = generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)
        if self.dim == 2:
            th = rng.uniform(0.0, 2 * np.pi, size=n)
            c, s = np.cos(th), np.sin(th)
            out = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
        else:
            # Haar on O(3) by QR of a Gaussian with the sign fix of Mezzadri (2007)
            z = rng.standard_normal((n, 3, 3))
            q, r = np.linalg.qr(z)
            q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[:, None, :]
            det = np.linalg.det(q)
            q[det < 0, :, 0] *= -1  # now in SO(3), still Haar
            out = q
        if not self.orientation_preserving:
            flip = rng.integers(0, 2, size=n).astype(bool)
            if self.dim == 2:
                out[flip] = out[flip] @ np.diag([1.0, -1.0])
            else:
                out[flip] = -out[flip]
        return out

    def covering(self) -> FiniteGroup:
        """A fixed finite subgroup whose elements are float64 matrices (labels)."""
        if self.dim == 2:
            G = dihedral(12) if not self.orientation_preserving else cyclic(12)
            mats = [_rot2(2 * np.pi / 12)] + ([] if self.orientation_preserving else [np.diag([1.0, -1.0])])
            H = from_matrices(mats, name=f"{'D' if not self.orientation_preserving else 'C'}12 in {self.name}")
            assert H.order == G.order
            return H
        rz = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
        rx = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
        mats = [rz, rx] + ([] if self.orientation_preserving else [-np.eye(3)])
        return from_matrices(mats, name=f"cube group in {self.name}")

    def contains(self, m: np.ndarray, tol: float = 1e-9) -> bool:
        m = np.asarray(m, dtype=np.float64)
        if m.shape != (self.dim, self.dim):
            return False
        ok = np.allclose(m.T @ m, np.eye(self.dim), atol=tol)
        if self.orientation_preserving:
            ok = ok and abs(np.linalg.det(m) - 1) < tol
        return bool(ok)

    def __str__(self) -> str:
        return self.name


def _rot2(th: float) -> np.ndarray:
    return np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])


def so2() -> ContinuousGroup:
    return ContinuousGroup("SO(2)", 2, True)


def o2() -> ContinuousGroup:
    return ContinuousGroup("O(2)", 2, False)


def so3() -> ContinuousGroup:
    return ContinuousGroup("SO(3)", 3, True)


def o3() -> ContinuousGroup:
    return ContinuousGroup("O(3)", 3, False)
