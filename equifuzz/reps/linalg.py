"""Float64 ranks, null spaces and ranges by the singular value decomposition: one rule for every layer.

A singular value counts when it exceeds ``tol * max(floor, largest singular value)``: ``floor = 1``
(the default) makes the threshold absolute for matrices of small norm (entries of representations,
of order 1), ``floor`` tiny makes it purely relative.
"""

from __future__ import annotations

import numpy as np

__all__ = ["svd_rank", "null_space", "range_space"]


def _count(s: np.ndarray, tol: float, floor: float) -> int:
    return int(np.sum(s > tol * max(floor, float(s[0])))) if s.size else 0


def svd_rank(M: np.ndarray, tol: float = 1e-9, floor: float = 1.0) -> int:
    """The numerical rank of ``M``."""
    if M.size == 0:
        return 0
    return _count(np.linalg.svd(M, compute_uv=False), tol, floor)


def null_space(M: np.ndarray, tol: float = 1e-9, floor: float = 1.0) -> np.ndarray:
    """An orthonormal basis of {x : M x = 0}, as the columns of an (n, k) array (a transposed view of
    the right singular vectors: ``.T`` gives them as C-ordered rows)."""
    n = M.shape[1]
    if M.shape[0] == 0:
        return np.eye(n)
    _, s, vt = np.linalg.svd(M)
    return vt[_count(s, tol, floor):].T


def range_space(P: np.ndarray, tol: float = 1e-9, floor: float = 1.0) -> np.ndarray:
    """An orthonormal basis of the range of ``P``, as columns."""
    if P.size == 0:
        return np.zeros((P.shape[0], 0))
    u, s, _ = np.linalg.svd(P)
    return u[:, :_count(s, tol, floor)]
