"""Independent checks used by the claims suite: direct evaluation and brute-force neuron matching.

Nothing here uses the canonical form, so the claims can hold the oracles to account.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import equifuzz as ef
from equifuzz import strategies as efs

EPS64 = np.finfo(float).eps
BOOLEANS = st.booleans()


def magnitude(net: ef.ReLUNet, X: np.ndarray) -> np.ndarray:
    """Per input, the largest output of the absolute-value network |W2| relu-free (|W1| |x| + |b1|) + |b2|.

    Every rounding error of evaluating ``net`` at x is a small multiple of eps times this.
    """
    W1, b1, W2, b2 = net.float_params()
    y = (np.abs(X) @ np.abs(W1).T + np.abs(b1)) @ np.abs(W2).T + np.abs(b2)
    return np.max(y, axis=1, initial=0.0)


def rounding_bound(net: ef.ReLUNet, X: np.ndarray) -> np.ndarray:
    """Per input, a bound on the float64 error of evaluating ``net``."""
    return 4 * (net.d + net.width + net.p + 4) * EPS64 * magnitude(net, X)


def sampled_gap(net: ef.ReLUNet, rho_in: ef.reps.Representation, rho_out: ef.reps.Representation,
                X: np.ndarray) -> tuple[float, np.ndarray | None, int | None]:
    """max over inputs and ALL elements of ||f(g x) - g f(x)||_inf relative to the magnitudes involved.

    The denominator is magnitude(g x) + ||rho_out(g)||_inf magnitude(x): round-off (of the evaluation,
    and of the representation matrices themselves) stays around 1e-14 of it; a real violation of
    relative size eps shows as about eps. The matrices' own round-off moves every coordinate of g x by
    about eps ||x||_inf, whatever the size of that coordinate, so magnitude(x) is taken with every |x_j|
    at ||x||_inf (else an input whose only live coordinate is tiny, x = (0.64, 1e-12), reads the 1e-18
    off-diagonal of a float rho(e) as a relative gap of 1e-7).
    """
    f = net.to_float()
    FX = f(X)
    mx = magnitude(f, np.broadcast_to(np.abs(X).max(axis=1, keepdims=True, initial=0.0), X.shape))
    best, where = 0.0, (None, None)
    for g in rho_in.group.elements:
        A, B = rho_in(g), rho_out(g)
        XA = X @ A.T
        gap = np.max(np.abs(f(XA) - FX @ B.T), axis=1, initial=0.0)
        denom = magnitude(f, XA) + np.abs(B).sum(axis=1).max() * mx
        r = np.where(gap > 0, gap / np.maximum(denom, 1e-300), 0.0)
        i = int(np.argmax(r)) if r.size else 0
        if r.size and r[i] > best:
            best, where = float(r[i]), (X[i], int(g))
    return best, where[0], where[1]


def _rows(net: ef.ReLUNet, up_to_scaling: bool) -> np.ndarray:
    """Live neurons as rows [w, b, v] (dead ones: w = 0 with b <= 0, or v = 0, removed)."""
    W1, b1, W2, _ = net.float_params()
    wn, vn = np.linalg.norm(W1, axis=1), np.linalg.norm(W2, axis=0)
    live = (vn > 0) & ((wn > 0) | (b1 > 0))
    R = np.concatenate([W1, b1[:, None], W2.T], axis=1)[live]
    if up_to_scaling:
        d = net.d
        s = np.where(wn[live] > 0, wn[live], b1[live])
        R[:, : d + 1] /= s[:, None]
        R[:, d + 1:] *= s[:, None]
    return R


def multiset_invariant(net: ef.ReLUNet, rho_in: ef.reps.Representation, rho_out: ef.reps.Representation, *,
                       up_to_scaling: bool = False, tol: float = 1e-9) -> bool:
    """T2 by brute force: is the neuron multiset invariant under every generator, and b2 fixed?"""
    d = net.d
    R = _rows(net, up_to_scaling)
    scale = max(float(np.abs(R).max(initial=0.0)), 1e-300)
    dual = rho_in.dual()
    for g in rho_in.group.generators:
        img = np.concatenate([R[:, :d] @ dual(g).T, R[:, d:d + 1], R[:, d + 1:] @ rho_out(g).T], axis=1)
        if up_to_scaling:  # images of normalized rows need renormalizing when rho_in^* is not orthogonal
            n = np.linalg.norm(img[:, :d], axis=1)
            s = np.where(n > 0, n, 1.0)
            img[:, : d + 1] /= s[:, None]
            img[:, d + 1:] *= s[:, None]
        used = np.zeros(len(R), dtype=bool)
        for row in img:
            dist = np.max(np.abs(R - row), axis=1) / scale
            dist[used] = np.inf
            j = int(np.argmin(dist)) if dist.size else -1
            if j < 0 or dist[j] > tol:
                return False
            used[j] = True
        b2 = np.asarray(net.b2, dtype=float)
        if np.max(np.abs(rho_out(g) @ b2 - b2), initial=0.0) > tol * max(1.0, float(np.abs(b2).max(initial=0.0))):
            return False
    return True


def len_equation_residual(net: ef.ReLUNet, hidden: ef.reps.Representation, rho_in: ef.reps.Representation,
                          rho_out: ef.reps.Representation) -> float:
    """max over g of the LEN equations W1 rho_in(g) = P_g W1, P_g b1 = b1, W2 P_g = rho_out(g) W2, relative."""
    W1, b1, W2, b2 = net.float_params()
    scale = max(float(np.abs(W1).max(initial=0)), float(np.abs(W2).max(initial=0)), float(np.abs(b1).max(initial=0)),
                1e-300)
    worst = 0.0
    for g in rho_in.group.elements:
        P = hidden(g)
        worst = max(worst,
                    float(np.abs(W1 @ rho_in(g) - P @ W1).max(initial=0.0)),
                    float(np.abs(P @ b1 - b1).max(initial=0.0)),
                    float(np.abs(W2 @ P - rho_out(g) @ W2).max(initial=0.0)),
                    float(np.abs(rho_out(g) @ b2 - b2).max(initial=0.0)))
    return worst / scale


def small_pairs(change_of_basis: bool | st.SearchStrategy[bool] = BOOLEANS, **kw: object):
    """Representation pairs of small groups (order <= 8), cheap enough for every claim."""
    return efs.rep_pairs(max_order=8, max_in_dim=4, max_out_dim=3, change_of_basis=change_of_basis, **kw)


def admits_flipped(pair: tuple[ef.reps.Representation, ef.reps.Representation]) -> bool:
    """Whether the pair admits a gen-not-len network of the flipped construction (probe with seed 0)."""
    return efs.build_flipped_net(pair[0], pair[1], [0, 1, 2], 0) is not None


@st.composite
def equivariant_draws(draw: st.DrawFn, kind: str | None = None, change_of_basis=BOOLEANS, **kw):
    """A DrawnNet over a drawn small representation pair: of ``kind`` ("len" or "gen-not-len"), or either.

    For "gen-not-len" the pair is drawn among those admitting one.
    """
    if kind is None:
        kind = draw(st.sampled_from(efs.EQUIVARIANT_KINDS))
    pairs = small_pairs(change_of_basis)
    if kind == "gen-not-len":
        pairs = pairs.filter(admits_flipped)
    rho_in, rho_out = draw(pairs)
    return draw(efs.equivariant_nets(rho_in, rho_out, (kind,), **kw))


def gen_not_len_draws(change_of_basis=BOOLEANS):
    """DrawnNets of kind gen-not-len over pairs that admit one."""
    return equivariant_draws("gen-not-len", change_of_basis)


def lower_bound_bruteforce(net: ef.ReLUNet, rho_in: ef.reps.Representation) -> tuple[int, int]:
    """(T4 lower bound, number of kink hyperplanes) from the canonical hyperplanes, orbit by orbit.

    For each orbit of kink hyperplanes under H -> rho_in(g) H, |G| / |Stab+(H)| where Stab+ keeps the
    orientation of the normal. A direct O(|G| k^2) computation, independent of the realizability oracle.
    """
    form = net.to_float().canonical()
    k = form.n_hyperplanes
    U = np.asarray(form.normals, float)
    beta = np.asarray(form.offsets, float)
    G = rho_in.group
    dual = rho_in.dual()
    seen = np.zeros(k, dtype=bool)
    lower = 0
    for h in range(k):
        if seen[h]:
            continue
        plus = 0
        for g in G.elements:
            img = dual(g) @ U[h]
            n = float(np.linalg.norm(img))
            u, b = img / n, beta[h] / n
            for j in range(k):
                for s in (1.0, -1.0):
                    if np.max(np.abs(U[j] - s * u)) < 1e-7 and abs(beta[j] - s * b) < 1e-7 * (1 + abs(b)):
                        seen[j] = True
                        if j == h and s > 0:
                            plus += 1
        lower += G.order // plus
    return lower, k
