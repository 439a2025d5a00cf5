"""Small dense linear algebra over the rationals (``Fraction`` object arrays, exact) or float64.

The realizability oracle solves many tiny systems (tens of unknowns); exactness matters more than
speed, so the rational path is plain Gauss-Jordan elimination. The float path uses numpy with a
relative tolerance ``tol`` (singular values below ``tol * largest`` count as zero).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..reps.linalg import null_space, svd_rank

__all__ = ["is_exact", "rref", "nullspace", "solve", "rank", "as_field"]

FLOAT_TOL = 1e-9


def is_exact(M: np.ndarray) -> bool:
    return M.dtype == object


def as_field(M: np.ndarray | list, exact: bool) -> np.ndarray:  # type: ignore[type-arg]
    """``M`` as a Fraction object array (exact) or a float64 array."""
    a = np.asarray(M, dtype=object if exact else np.float64)
    if exact:
        flat = [x if isinstance(x, Fraction) else Fraction(x) for x in a.ravel()]
        out = np.empty(a.shape, dtype=object)
        out.ravel()[:] = flat if flat else []
        return out
    return a


def rref(M: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form of a Fraction matrix and its pivot columns."""
    A = np.array(M, dtype=object, copy=True)
    rows, cols = A.shape
    piv: list[int] = []
    r = 0
    for c in range(cols):
        if r == rows:
            break
        nz = [i for i in range(r, rows) if A[i, c] != 0]
        if not nz:
            continue
        i = nz[0]
        if i != r:
            A[[r, i]] = A[[i, r]]
        A[r] = A[r] / A[r, c]
        for i in range(rows):
            if i != r and A[i, c] != 0:
                A[i] = A[i] - A[i, c] * A[r]
        piv.append(c)
        r += 1
    return A, piv


def rank(M: np.ndarray, tol: float = FLOAT_TOL) -> int:
    if M.size == 0:
        return 0
    if is_exact(M):
        return len(rref(M)[1])
    return svd_rank(M, tol, floor=1e-300)


def nullspace(M: np.ndarray, tol: float = FLOAT_TOL) -> np.ndarray:
    """A basis of {x : M x = 0} as the columns of an (n, k) array (same field as ``M``)."""
    n = M.shape[1]
    if is_exact(M):
        if M.shape[0] == 0:
            return as_field(np.eye(n, dtype=int), True)
        R, piv = rref(M)
        free = [c for c in range(n) if c not in piv]
        out = np.empty((n, len(free)), dtype=object)
        out[:] = Fraction(0)
        for k, fc in enumerate(free):
            out[fc, k] = Fraction(1)
            for r, pc in enumerate(piv):
                out[pc, k] = -R[r, fc]
        return out
    return null_space(M, tol, floor=1e-300).copy()


def solve(A: np.ndarray, b: np.ndarray, tol: float = FLOAT_TOL) -> tuple[np.ndarray | None, float]:
    """A solution x of A x = b (None when there is none) and the residual ||A x - b|| (0 when exact).

    Float: least squares, accepted when the residual is at most ``tol`` times ||b|| + ||A|| ||x||.
    """
    n = A.shape[1]
    if is_exact(A):
        if n == 0:
            ok = all(x == 0 for x in b)
            return (np.empty(0, dtype=object) if ok else None), 0.0 if ok else float(np.max(np.abs(b.astype(float))))
        aug = np.concatenate([A, b.reshape(-1, 1)], axis=1)
        R, piv = rref(aug)
        if n in piv:
            return None, float("inf")
        x = np.empty(n, dtype=object)
        x[:] = Fraction(0)
        for r, pc in enumerate(piv):
            x[pc] = R[r, n]
        return x, 0.0
    if n == 0:
        res = float(np.linalg.norm(b))
        return (np.zeros(0) if res <= tol * max(1.0, res) else None), res
    x, *_ = np.linalg.lstsq(A, b, rcond=None)
    res = float(np.linalg.norm(A @ x - b))
    scale = float(np.linalg.norm(b)) + float(np.linalg.norm(A)) * float(np.linalg.norm(x)) + 1e-300
    return (x if res <= tol * scale else None), res
