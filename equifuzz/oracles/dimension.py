"""Dimension of the layer-wise equivariant parameter space (T6).

With hidden permutation representation rho_h, the LEN parameters (W1, b1, W2, b2) satisfying
W1 rho_in(g) = rho_h(g) W1, rho_h(g) b1 = b1, W2 rho_h(g) = rho_out(g) W2, rho_out(g) b2 = b2 form a
linear space of dimension <chi_in, chi_h> + <1, chi_h> + <chi_h, chi_out> + <1, chi_out> (bias terms
dropped when the biases are off). ``method="nullspace"`` stacks the constraints and counts the null
space instead: an independent cross-check.
"""

from __future__ import annotations

import numpy as np

from ..errors import RepresentationError, ShapeError
from ..reps import Representation, inner
from ..validation import check_bool, check_choice, check_int, check_rep, check_same_group
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
    d, m, p = rho_in.dim, rho_h.dim, rho_out.dim
    sizes = [m * d, m if hidden_bias else 0, p * m, p if output_bias else 0]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offs[-1])
    blocks = []
    for g in rho_in.group.generators:
        A, P, B = rho_in(g), rho_h(g), rho_out(g)
        # W1 A - P W1 = 0 (row-major vec of W1, m x d)
        r1 = np.zeros((m * d, n))
        r1[:, offs[0]:offs[1]] = np.kron(np.eye(m), A.T) - np.kron(P, np.eye(d))
        blocks.append(r1)
        if hidden_bias:
            r2 = np.zeros((m, n))
            r2[:, offs[1]:offs[2]] = P - np.eye(m)
            blocks.append(r2)
        # W2 P - B W2 = 0 (W2 is p x m)
        r3 = np.zeros((p * m, n))
        r3[:, offs[2]:offs[3]] = np.kron(np.eye(p), P.T) - np.kron(B, np.eye(m))
        blocks.append(r3)
        if output_bias:
            r4 = np.zeros((p, n))
            r4[:, offs[3]:offs[4]] = B - np.eye(p)
            blocks.append(r4)
    if not blocks:
        return n
    M = np.concatenate(blocks)
    s = np.linalg.svd(M, compute_uv=False)
    rank = int(np.sum(s > 1e-9 * max(1.0, s[0] if s.size else 1.0)))
    return n - rank
