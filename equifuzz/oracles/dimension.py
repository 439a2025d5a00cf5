"""Dimension of the layer-wise equivariant parameter space (T6).

With hidden permutation representation rho_h, the LEN parameters (W1, b1, W2, b2) satisfying
W1 rho_in(g) = rho_h(g) W1, rho_h(g) b1 = b1, W2 rho_h(g) = rho_out(g) W2, rho_out(g) b2 = b2 form a
linear space of dimension <chi_in, chi_h> + <1, chi_h> + <chi_h, chi_out> + <1, chi_out> (bias terms
dropped when the biases are off). ``method="nullspace"`` stacks the constraints and counts the null
space instead: an independent cross-check.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..errors.exceptions import RepresentationError, ShapeError
from ..errors.validation import check_bool, check_choice, check_int
from ..groups.validation import check_same_group
from ..nets.exact import rational_or_none
from ..reps.characters import inner
from ..reps.finite import Representation, check_rep
from .equivariance import _check_pair

__all__ = ["len_dimension", "gn_dimension"]


def gn_dimension(d: int, width: int, p: int, hidden_bias: bool = True, output_bias: bool = True) -> int:
    """Parameter count of an unconstrained width-m network: m(d + 1 + p) + p with both biases."""
    d, width, p = check_int("d", d, min=1), check_int("width", width, min=0), check_int("p", p, min=1)
    hidden_bias, output_bias = check_bool("hidden_bias", hidden_bias), check_bool("output_bias", output_bias)
    return width * (d + int(hidden_bias) + p) + (p if output_bias else 0)


def len_dimension(rho_in: Representation, rho_hidden: Representation, rho_out: Representation, *,
                  hidden_bias: bool = True, output_bias: bool = True, method: str = "character") -> int:
    """dim of the LEN parameter space for the given hidden representation (a permutation one)."""
    for nm, r in (("rho_in", rho_in), ("rho_hidden", rho_hidden), ("rho_out", rho_out)):
        check_rep(nm, r)
    check_same_group([("rho_in", rho_in), ("rho_hidden", rho_hidden), ("rho_out", rho_out)])
    if not rho_hidden.is_permutation:
        raise RepresentationError(f"rho_hidden must be a permutation representation (ReLU commutes only with "
                                  f"permutations), got {rho_hidden.name}; use regular(G), coset(G, K) or a direct "
                                  "sum of them")
    hidden_bias, output_bias = check_bool("hidden_bias", hidden_bias), check_bool("output_bias", output_bias)
    method = check_choice("method", method, ("character", "nullspace"))
    _check_pair(rho_in, rho_hidden)
    _check_pair(rho_in, rho_out)
    if method == "character":
        one = np.ones(rho_in.group.order)
        total = inner(rho_in, rho_hidden) + inner(rho_hidden, rho_out)
        total += inner(one, rho_hidden) if hidden_bias else 0.0
        total += inner(one, rho_out) if output_bias else 0.0
        k = round(total)
        if abs(total - k) > 1e-6:
            raise ShapeError(f"character formula gave a non-integer {total}: not representations")
        return int(k)
    if method == "nullspace":
        return _nullspace_dimension(rho_in, rho_hidden, rho_out, hidden_bias, output_bias)
    raise ShapeError(f"method must be 'character' or 'nullspace', got {method!r}")


def _nullspace_dimension(rho_in: Representation, rho_h: Representation, rho_out: Representation,
                         hidden_bias: bool, output_bias: bool) -> int:
    """n - rank of the stacked constraints: exact (integer rank, python-flint) when every generator matrix
    is rational, else by singular values with a threshold that grows with the matrices' conditioning."""
    gens = list(rho_in.group.generators)
    mats = [(rho_in(g), rho_h(g), rho_out(g)) for g in gens]
    exact = [tuple(rational_or_none(M) for M in trio) for trio in mats]
    if all(q is not None for trio in exact for q in trio):
        n = _size(rho_in.dim, rho_h.dim, rho_out.dim, hidden_bias, output_bias)
        if not exact:
            return n
        ints = []
        for trio in exact:
            D = _den(trio)
            A, P, B = (q.ints * int(q.scale * D) for q in trio)  # type: ignore[union-attr,operator]  # ints
            ints.append((A, P, B, int(D)))
        # the unknowns W1, b1, W2, b2 are constrained separately: the rank is the sum of the four blocks' ranks
        return n - sum(_integer_rank(np.concatenate(rows)) for rows in zip(
            *(_constraint_blocks(A, P, B, hidden_bias, output_bias, D) for A, P, B, D in ints), strict=True))
    blocks = [_constraints(A, P, B, hidden_bias, output_bias) for A, P, B in mats]
    n = _size(rho_in.dim, rho_h.dim, rho_out.dim, hidden_bias, output_bias)
    if not blocks:
        return n
    M = np.concatenate(blocks).astype(np.float64)
    s = np.linalg.svd(M, compute_uv=False)
    cond = max(float(np.linalg.cond(X)) for trio in mats for X in trio)
    # round-off against the size of the matrices the constraints are made of, not against the largest singular
    # value: when every constraint is zero in exact arithmetic (a float change of basis of a trivial action), the
    # singular values are all round-off and none of them is a rank
    size = max([1.0] + [float(np.abs(X).max()) for trio in mats for X in trio if X.size])
    thr = max(M.shape) * np.finfo(np.float64).eps * cond * 1e3 * size
    return n - int(np.sum(s > thr))


def _size(d: int, m: int, p: int, hidden_bias: bool, output_bias: bool) -> int:
    return m * d + (m if hidden_bias else 0) + p * m + (p if output_bias else 0)


def _den(trio: tuple) -> Fraction:  # type: ignore[type-arg]
    """The common denominator of three exact matrices (multiplying by it makes all three integer)."""
    import math
    return Fraction(math.lcm(*(q.scale.denominator for q in trio)))


def _constraints(A: np.ndarray, P: np.ndarray, B: np.ndarray, hidden_bias: bool, output_bias: bool,
                 one: Any = 1.0) -> np.ndarray:
    """The constraints of one generator, times ``one``: W1 A - P W1, P b1 - b1, W2 P - B W2, B b2 - b2."""
    d, m, p = A.shape[0], P.shape[0], B.shape[0]
    dt = object if A.dtype == object else np.float64
    Id, Im, Ip = (np.eye(k, dtype=np.int64).astype(dt) for k in (d, m, p))
    sizes = [m * d, m if hidden_bias else 0, p * m, p if output_bias else 0]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offs[-1])
    rows = []
    r1 = np.zeros((m * d, n), dtype=dt)
    r1[:, offs[0]:offs[1]] = np.kron(Im, A.T) - np.kron(P, Id)  # W1 A - P W1 (row-major vec of W1)
    rows.append(r1)
    if hidden_bias:
        r2 = np.zeros((m, n), dtype=dt)
        r2[:, offs[1]:offs[2]] = P - Im * one
        rows.append(r2)
    r3 = np.zeros((p * m, n), dtype=dt)
    r3[:, offs[2]:offs[3]] = np.kron(Ip, P.T) - np.kron(B, Im)  # W2 P - B W2
    rows.append(r3)
    if output_bias:
        r4 = np.zeros((p, n), dtype=dt)
        r4[:, offs[3]:offs[4]] = B - Ip * one
        rows.append(r4)
    return np.concatenate(rows)


def _small(M: np.ndarray) -> np.ndarray:
    """An integer object array as int64 when its entries are small (exact either way)."""
    if M.size and max(abs(int(x)) for x in M.ravel()) < 2**20:
        return M.astype(np.int64)
    return M


def _constraint_blocks(A: np.ndarray, P: np.ndarray, B: np.ndarray, hidden_bias: bool, output_bias: bool,
                       one: int) -> list[np.ndarray]:
    """The integer constraints of one generator on W1, b1, W2 and b2 separately (times ``one``): W1 A - P W1,
    P b1 - b1, W2 P - B W2, B b2 - b2 (a block with no unknown is an empty matrix)."""
    A, P, B = _small(A), _small(P), _small(B)
    d, m, p = A.shape[0], P.shape[0], B.shape[0]
    Id, Im, Ip = (np.eye(k, dtype=np.int64) for k in (d, m, p))
    out = [np.kron(Im, A.T) - np.kron(P, Id)]  # W1 A - P W1 (row-major vec of W1)
    out.append(P - Im * one if hidden_bias else np.zeros((0, 0), dtype=np.int64))
    out.append(np.kron(Ip, P.T) - np.kron(B, Im))  # W2 P - B W2
    out.append(B - Ip * one if output_bias else np.zeros((0, 0), dtype=np.int64))
    return out


def _integer_rank(M: np.ndarray) -> int:
    """The exact rank of an integer matrix (python-flint's fmpz_mat; fraction-free elimination without it)."""
    if M.size == 0:
        return 0
    rows = M.tolist() if M.dtype != object else [[int(x) for x in r] for r in M]
    try:
        import flint
    except ImportError:  # pragma: no cover - python-flint is a dependency
        return _bareiss_rank(rows)
    return int(flint.fmpz_mat(rows).rank()) if rows and rows[0] else 0


def _bareiss_rank(rows: list[list[int]]) -> int:
    A = [r[:] for r in rows]
    rank, ncol = 0, len(A[0]) if A else 0
    prev = 1
    for c in range(ncol):
        piv = next((i for i in range(rank, len(A)) if A[i][c] != 0), None)
        if piv is None:
            continue
        A[rank], A[piv] = A[piv], A[rank]
        for i in range(rank + 1, len(A)):
            A[i] = [(A[i][j] * A[rank][c] - A[rank][j] * A[i][c]) // prev for j in range(ncol)]
        prev = A[rank][c]
        rank += 1
    return rank
