"""Canonical data of f(x) = W2 relu(W1 x + b1) + b2, normalized per neuron, in float64 and exactly.

Both forms write f(x) = sum_H 1/2 c_H |n_H . x + beta_H| + L x + e.

* :class:`FloatForm` keeps every hyperplane with its *mass* (the summed sizes ||w_i|| ||v_i|| of the
  neurons on it), so that a channel is judged against its own neurons and never against the largest
  neuron of the network. A neuron is constant exactly when w = 0. Hyperplanes are compared as unit
  vectors (w, b) / ||(w, b)|| in R^{d+1} (scale-free: no overflow for 1e-300 or 1e300 weights).
* :class:`ExactForm` is exact for float64 (dyadic) and Fraction weights alike: hyperplanes are
  primitive integer rows (w, b) oriented by the first non-zero entry of w, and channels, linear part and
  constant are integer arrays over one rational scale (:mod:`equifuzz.exact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .exact import Scaled, common, primitive_rows, scaled

__all__ = ["FloatForm", "ExactForm", "float_form", "normalized", "output_exponent", "exact_form", "unit_rows",
           "unit_rows_log", "asinh_offset", "orient", "SIGN_EPS"]

SIGN_EPS = 1e-9  # a component of a unit normal below this does not fix the orientation


def orient(U: np.ndarray, eps: float = SIGN_EPS) -> np.ndarray:
    """Sign per row making the first component with |u_j| > eps positive."""
    big = np.abs(U) > eps
    j = np.argmax(big, axis=1)
    lead = U[np.arange(U.shape[0]), j]
    return np.where(lead < 0, -1.0, 1.0)


def unit_rows(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of W over their norms, and the norms, without overflow or underflow (power-of-two prescale)."""
    U, logn = unit_rows_log(W)
    with np.errstate(over="ignore", under="ignore"):
        return U, np.where(np.isfinite(logn), np.exp(logn), 0.0)


def unit_rows_log(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of W over their norms, and the natural logarithms of the norms (-inf for zero rows): exact
    for any magnitude, 1e-320 and 1e308 alike."""
    amax = np.max(np.abs(W), axis=1) if W.shape[1] else np.zeros(W.shape[0])
    _, ex = np.frexp(np.where(amax > 0, amax, 1.0))
    Ws = np.ldexp(W, -ex[:, None])  # exact: a power of two per row
    ns = np.linalg.norm(Ws, axis=1)
    safe = np.where(ns > 0, ns, 1.0)
    with np.errstate(divide="ignore"):
        logn = np.where(ns > 0, np.log(safe) + ex * np.log(2.0), -np.inf)
    return Ws / safe[:, None], logn


def asinh_offset(b: np.ndarray, log_wnorm: np.ndarray) -> np.ndarray:
    """asinh(b / ||w||) from b and log ||w||, without overflow: the offset coordinate of hyperplane keys.

    Offsets are compared relative to max(1, |beta|): two hyperplanes far from the origin are one when
    their distances agree to a relative tolerance."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        logb = np.log(np.abs(b))
        logr = logb - log_wnorm
        small = logr < 300
        r = np.where(small, np.sign(b) * np.exp(np.minimum(logr, 300)), 0.0)
        big = np.sign(b) * (np.log(2.0) + logr)
        return np.where(b == 0, 0.0, np.where(small, np.arcsinh(r), big))


@dataclass(frozen=True)
class FloatForm:
    """Per-neuron float64 canonical data; hyperplanes are NOT merged or dropped here (the comparison does
    it with its own tolerance). ``direction`` rows are unit (n, beta) / ||(n, beta)|| oriented like n;
    ``keys`` rows [n, asinh(beta)] compare normals absolutely and offsets relative to max(1, |beta|)."""

    normals: np.ndarray  # (k, d) unit normals, first clearly non-zero entry positive
    offsets: np.ndarray  # (k,) beta = b / ||w|| (may be huge)
    direction: np.ndarray  # (k, d + 1) unit (w, b) directions, same orientation
    keys: np.ndarray  # (k, d + 1) [n, asinh(beta)]: what hyperplanes are clustered on
    channels: np.ndarray  # (k, p): ||w_i|| v_i
    mass: np.ndarray  # (k,): ||w_i|| ||v_i||
    linear: np.ndarray  # (p, d) = 1/2 W2 W1 over live neurons
    constant: np.ndarray  # (p,)
    linear_mass: float  # sum_i ||w_i|| ||v_i||: the round-off scale of the linear part
    constant_mass: float  # sum_i ||v_i|| |b_i| + ||b2||: the round-off scale of the constant
    neuron: np.ndarray  # (k,) index of the neuron each row comes from


def normalized(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, out_shift: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The same function with every neuron's (w, b) scaled by a power of two to max-entry in [1, 2) (its v
    by the inverse), then every output multiplied by 2^-out_shift: exact, except for parts below 2^-1074
    of the largest."""
    amax = np.max(np.abs(np.concatenate([W1, b1[:, None]], axis=1)), axis=1) if W1.size else np.zeros(W1.shape[0])
    _, ex = np.frexp(np.where(amax > 0, amax, 1.0))
    ex = ex - 1
    return (np.ldexp(W1, -ex[:, None]), np.ldexp(b1, -ex), np.ldexp(W2, ex[None, :] - out_shift),
            np.ldexp(b2, -out_shift))


def output_exponent(*params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> int:
    """The power of two that brings the largest per-neuron size ||w_i||_max |v_i| (and |b2|) of the given
    networks near 1: the shared ``out_shift`` of :func:`normalized` for networks that are compared."""
    best = -np.inf
    for W1, b1, W2, b2 in params:
        amax = np.max(np.abs(np.concatenate([W1, b1[:, None]], axis=1)), axis=1) if W1.size else np.zeros(0)
        _, ex = np.frexp(np.where(amax > 0, amax, 1.0))
        vmax = np.max(np.abs(W2), axis=0) if W2.size else np.zeros(0)
        _, ev = np.frexp(np.where(vmax > 0, vmax, 0.0))
        cand = (ex + ev)[vmax > 0]
        if cand.size:
            best = max(best, float(cand.max()))
        if b2.size and np.any(b2 != 0):
            best = max(best, float(np.frexp(np.max(np.abs(b2)))[1]))
    return int(best) if np.isfinite(best) else 0


def float_form(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, out_shift: int | None = None
               ) -> FloatForm:
    """One row per live neuron (w != 0), normalized per neuron; outputs scaled by 2^-out_shift (default:
    this network's own :func:`output_exponent`)."""
    if out_shift is None:
        out_shift = output_exponent((W1, b1, W2, b2))
    W1, b1, W2, b2 = normalized(W1, b1, W2, b2, out_shift)
    live = np.any(W1 != 0, axis=1)
    idx = np.flatnonzero(live)
    U, logw = unit_rows_log(W1[idx])
    wn = np.exp(logw)
    WB, _ = unit_rows(np.concatenate([W1[idx], b1[idx, None]], axis=1))
    s = orient(U)
    U, WB = U * s[:, None], WB * s[:, None]
    with np.errstate(over="ignore", divide="ignore"):
        beta = s * b1[idx] / wn
    keys = np.concatenate([U, (s * asinh_offset(b1[idx], logw))[:, None]], axis=1)
    V = W2[:, idx].T
    vn = np.linalg.norm(V, axis=1)
    with np.errstate(over="ignore", under="ignore"):
        C = V * wn[:, None]
        mass = vn * wn
        L = 0.5 * (W2[:, idx] @ W1[idx])
        const_live = 0.5 * (W2[:, idx] @ b1[idx])
        dead = ~live
        e = b2 + const_live + W2[:, dead] @ np.maximum(b1[dead], 0.0)
        lin_mass = float(mass.sum())
        const_mass = float((vn * np.abs(b1[idx])).sum() + (np.linalg.norm(W2[:, dead], axis=0)
                                                           * np.maximum(b1[dead], 0.0)).sum() + np.linalg.norm(b2))
    return FloatForm(U, beta + 0.0, WB, keys, C, mass, L, e, lin_mass, const_mass, idx)


@dataclass(frozen=True)
class ExactForm:
    """Exact canonical data: ``keys[h]`` the primitive oriented integer row (n, beta) of hyperplane h,
    ``channels`` (k, p) integers times ``channel_scale``, ``linear`` (p, d) integers times ``linear_scale``,
    ``constant`` (p,) integers times ``constant_scale``. Only hyperplanes with a non-zero channel are kept;
    ``neuron_hyperplane[i]`` is the hyperplane of neuron i (-1 for a constant neuron or a cancelled one)."""

    d: int
    p: int
    keys: tuple[tuple[int, ...], ...]
    channels: np.ndarray
    channel_scale: Fraction
    linear: np.ndarray
    linear_scale: Fraction
    constant: np.ndarray
    constant_scale: Fraction
    neuron_hyperplane: np.ndarray

    @property
    def n_hyperplanes(self) -> int:
        return len(self.keys)

    def index(self) -> dict[tuple[int, ...], int]:
        return {k: h for h, k in enumerate(self.keys)}


def exact_form(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> ExactForm:
    """The exact canonical data of a network given as float64 or Fraction arrays."""
    m, d = W1.shape
    p = W2.shape[0]
    WB = scaled(np.concatenate([np.asarray(W1, dtype=object).reshape(m, d),
                                np.asarray(b1, dtype=object).reshape(m, 1)], axis=1))
    V = scaled(W2)
    B2 = scaled(b2)
    N1, s1 = WB.ints, WB.scale
    N2, s2 = V.ints, V.scale
    live = np.array([any(v != 0 for v in row[:d]) for row in N1], dtype=bool)
    idx = np.flatnonzero(live)
    keys, factors = primitive_rows(N1[idx], orient_cols=d)
    groups: dict[tuple[int, ...], list[int]] = {}
    for j, k in enumerate(keys):
        groups.setdefault(k, []).append(j)
    all_keys = sorted(groups)
    C = np.zeros((len(all_keys), p), dtype=object)
    for h, k in enumerate(all_keys):
        acc = np.zeros(p, dtype=object)
        for j in groups[k]:
            acc = acc + abs(factors[j]) * N2[:, idx[j]]
        C[h] = acc
    keep = [h for h in range(len(all_keys)) if any(v != 0 for v in C[h])]
    remap = {all_keys[h]: n for n, h in enumerate(keep)}
    neuron_h = np.full(m, -1, dtype=np.int64)
    for j, k in enumerate(keys):
        neuron_h[idx[j]] = remap.get(k, -1)
    Nw = N1[idx][:, :d]
    Nb = N1[idx][:, d]
    L = N2[:, idx].dot(Nw) if idx.size else np.zeros((p, d), dtype=object)
    # e = b2 + 1/2 sum_live v_i b_i + sum_const v_i relu(b_i)  (over the scale s1 s2 / 2)
    dead = np.flatnonzero(~live)
    e_nets = (N2[:, idx].dot(Nb) if idx.size else np.zeros(p, dtype=object))
    if dead.size:
        e_nets = e_nets + 2 * N2[:, dead].dot(np.array([max(int(v), 0) for v in N1[dead, d]], dtype=object))
    (e_a, e_b), es = common(Scaled(np.asarray(e_nets, dtype=object), s1 * s2 / 2), B2)
    Ck = C[keep] if keep else np.zeros((0, p), dtype=object)
    return ExactForm(d, p, tuple(all_keys[h] for h in keep), Ck, s1 * s2, np.asarray(L, dtype=object),
                     s1 * s2 / 2, np.asarray(e_a + e_b, dtype=object), es, neuron_h)
