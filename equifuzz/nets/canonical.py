"""Canonical data of f(x) = W2 relu(W1 x + b1) + b2, normalized per neuron, in float64 and exactly.

Both forms write f(x) = sum_H 1/2 c_H |n_H . x + beta_H| + L x + e.

* :class:`FloatForm` keeps every hyperplane with its *mass* (the summed sizes ||w_i|| ||v_i|| of the
  neurons on it), so that a channel is judged against its own neurons and never against the largest
  neuron of the network. A neuron is constant exactly when w = 0. Hyperplanes are compared as unit
  vectors (w, b) / ||(w, b)|| in R^{d+1} (scale-free: no overflow for 1e-300 or 1e300 weights).
* :class:`ExactForm` is exact for float64 (dyadic) and Fraction weights alike: hyperplanes are
  primitive integer rows (w, b) oriented by the first non-zero entry of w, and channels, linear part and
  constant are integer arrays over one rational scale (:mod:`equifuzz.nets.exact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .exact import Scaled, common, primitive_rows, scaled

__all__ = ["FloatForm", "ExactForm", "Exponents", "float_form", "exponents", "output_exponent", "exact_form",
           "unit_rows", "unit_rows_log", "asinh_offset", "orient", "norms", "norms_exp", "norm", "cluster_sums",
           "roundoff_threshold", "ROUNDOFF", "SIGN_EPS"]

SIGN_EPS = 1e-9  # a component of a unit normal below this does not fix the orientation
EPS = float(np.finfo(np.float64).eps)
ROUNDOFF = 64 * EPS  # per unit of summed size and per term: what float64 sums of that size can leave


def roundoff_threshold(own: Any, network: Any, tol: float, cond: float = 1.0, terms: int = 1,
                       eps: float = EPS) -> Any:
    """The one round-off rule (stated in :mod:`equifuzz.oracles.identity`): a datum's defect is negligible
    when it is at most ``tol`` times the datum's ``own`` size plus the round-off 64 ``eps`` * ``cond`` *
    ``terms`` that a float construction can leave relative to the ``network``'s own scale for that datum
    (the summed per-neuron sizes that feed it), never relative to the datum's own size alone. ``eps`` is
    the unit round-off of the arithmetic that built the network (float64's by default; float32's for a
    float32 module). ``own`` and ``network`` may be arrays (one threshold per datum)."""
    return tol * own + 64 * eps * cond * terms * network


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
class Exponents:
    """The powers of two that float data are expressed in: kink ``channel`` data (channels, mass), the
    ``linear`` part and the ``constant``, each chosen so that the largest term of that datum is near 1."""

    channel: int = 0
    linear: int = 0
    constant: int = 0


@dataclass(frozen=True)
class FloatForm:
    """Per-neuron float64 canonical data; hyperplanes are NOT merged or dropped here (the comparison does
    it with its own tolerance). ``direction`` rows are unit (n, beta) / ||(n, beta)|| oriented like n;
    ``keys`` rows [n, asinh(beta)] compare normals absolutely and offsets relative to max(1, |beta|).

    Scale-free data: row i's channel is ``unit_channels[i] * 2**channel_exp[i]`` (and its mass
    ``unit_mass[i] * 2**channel_exp[i]``), exactly, whatever the magnitudes; ``channels`` and ``mass`` are
    the same in units of 2**exponents.channel (rows below 2^-1074 of the largest flush to 0 there),
    ``linear``/``linear_mass`` in units of 2**exponents.linear, ``constant``/``constant_mass`` in units of
    2**exponents.constant."""

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
    unit_channels: np.ndarray  # (k, p) channels over 2**channel_exp
    unit_mass: np.ndarray  # (k,)
    channel_exp: np.ndarray  # (k,) int
    exponents: Exponents = Exponents()


def norms_exp(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean row norms of X as ``m * 2**e`` (m in [0.5, sqrt(cols)], 0 for a zero row; e integers):
    no overflow or underflow for any float64, subnormals and 1e308 alike."""
    X = np.asarray(X, dtype=np.float64)
    X = X.reshape(X.shape[0], int(np.prod(X.shape[1:])))
    amax = np.max(np.abs(X), axis=1) if X.shape[1] else np.zeros(X.shape[0])
    _, ex = np.frexp(np.where(amax > 0, amax, 1.0))
    Xs = np.ldexp(X, -ex[:, None])  # exact: one power of two per row
    return np.sqrt(np.einsum("ij,ij->i", Xs, Xs)), ex.astype(np.int64)


def norms(X: np.ndarray) -> np.ndarray:
    """Euclidean row norms without intermediate overflow or underflow (inf only for a norm beyond 1.8e308)."""
    m, e = norms_exp(X)
    with np.errstate(over="ignore"):
        return np.ldexp(m, e)


def norm(x: np.ndarray) -> float:
    """The Euclidean norm of all entries of x, without intermediate overflow or underflow."""
    x = np.asarray(x, dtype=np.float64)
    return float(norms(x.reshape(1, -1))[0]) if x.size else 0.0


def _top_exponent(e: np.ndarray, m: np.ndarray) -> int | None:
    live = m > 0
    return int(e[live].max()) if np.any(live) else None


def _terms(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per neuron: live mask, ||w|| as (wm, ew), v over 2**ev with ||v|| = vm 2**ev, and b as mb 2**eb."""
    live = np.any(W1 != 0, axis=1)
    wm, ew = norms_exp(W1)
    vm, ev = norms_exp(W2.T)
    Vu = np.ldexp(W2.T, -ev[:, None])
    mb, eb = np.frexp(b1)
    return live, wm, ew, vm, ev, Vu, mb, eb.astype(np.int64)


def exponents(*params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> Exponents:
    """Shared :class:`Exponents` for networks that are compared (the identity is homogeneous in each):
    the largest per-neuron size ||w_i|| ||v_i||, and the largest constant term ||v_i|| |b_i| or |b2|."""
    ch: list[int] = []
    co: list[int] = []
    for W1, b1, W2, b2 in params:
        W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
        if W1.shape[0]:
            live, wm, ew, vm, ev, _, mb, eb = _terms(W1, b1, W2)
            t = _top_exponent((ew + ev)[live], (wm * vm)[live])
            if t is not None:
                ch.append(t + 2)
            feeds = live | (b1 > 0)  # the neurons that feed the constant (a dead neuron with b <= 0 does not)
            t = _top_exponent((ev + eb)[feeds], (vm * np.abs(mb))[feeds])
            if t is not None:
                co.append(t + 2)
        if b2.size and np.any(b2 != 0):
            co.append(int(np.frexp(np.max(np.abs(b2)))[1]) + 1)
    c = max(ch) if ch else 0
    return Exponents(c, c, max(co) if co else c)


def output_exponent(*params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> int:
    """The power of two that brings the largest per-neuron size max|(w_i, b_i)| max|v_i| (and |b2|) of the
    given networks near 1: the shared output shift for networks whose neurons are scaled to max|(w, b)| ~ 1."""
    best = -np.inf
    for W1, b1, W2, b2 in params:
        W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
        amax = np.max(np.abs(np.concatenate([W1, b1[:, None]], axis=1)), axis=1) if W1.size else np.zeros(0)
        _, ex = np.frexp(np.where(amax > 0, amax, 1.0))
        vmax = np.max(np.abs(W2), axis=0) if W2.size else np.zeros(0)
        _, ev = np.frexp(np.where(vmax > 0, vmax, 0.0))
        cand = (ex + ev)[(vmax > 0) & (amax > 0)] if vmax.size == ex.size else np.zeros(0)
        if cand.size:
            best = max(best, float(cand.max()))
        if b2.size and np.any(b2 != 0):
            best = max(best, float(np.frexp(np.max(np.abs(b2)))[1]))
    return int(best) if np.isfinite(best) else 0


def cluster_sums(rows: np.ndarray, mass: np.ndarray, exps: np.ndarray, labels: np.ndarray, k: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per label c: the sum of ``rows * 2**exps`` and of ``mass * 2**exps`` over the rows labelled c, as
    (sums, masses) over 2**E[c], E[c] the largest exponent of a row of non-zero mass in c. Scale-free: rows
    below 2^-1074 of their cluster's largest are dropped, never the cluster (no underflow or overflow)."""
    exps = np.asarray(exps, dtype=np.int64)
    low = np.iinfo(np.int64).min
    E = np.full(k, low, dtype=np.int64)
    np.maximum.at(E, labels, np.where(mass > 0, exps, low))
    E = np.where(E == low, 0, E)
    rel = np.minimum(exps - E[labels], 0) if labels.size else np.zeros(0, dtype=np.int64)
    D = np.zeros((k, rows.shape[1]))
    M = np.zeros(k)
    with np.errstate(under="ignore"):
        np.add.at(D, labels, np.ldexp(rows, rel[:, None]))
        np.add.at(M, labels, np.ldexp(mass, rel))
    return D, M, E


def float_form(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
               out_shift: int | Exponents | None = None) -> FloatForm:
    """One row per live neuron (w != 0), normalized per neuron, scale-free (see :class:`FloatForm`);
    ``out_shift`` the :class:`Exponents` to express the data in (default: this network's own; an int sets
    all three)."""
    W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
    if out_shift is None:
        ex = exponents((W1, b1, W2, b2))
    elif isinstance(out_shift, Exponents):
        ex = out_shift
    else:
        ex = Exponents(int(out_shift), int(out_shift), int(out_shift))
    m, d = W1.shape
    p = W2.shape[0]
    live, wm, ew, vm, ev, Vu, mb, eb = _terms(W1, b1, W2)
    idx = np.flatnonzero(live)
    wm_, ew_ = wm[idx], ew[idx]
    Wm = np.ldexp(W1[idx], -ew_[:, None])  # exact; rows of norm wm_ in [0.5, sqrt(d)]
    U = Wm / wm_[:, None]
    logw = np.log(wm_) + ew_ * np.log(2.0)
    WB, _ = unit_rows(np.concatenate([W1[idx], b1[idx, None]], axis=1))
    s = orient(U)
    U, WB = U * s[:, None], WB * s[:, None]
    with np.errstate(over="ignore", under="ignore"):
        beta = np.ldexp(s * b1[idx] / wm_, -ew_)  # inf only for a hyperplane beyond 1e308 of the origin
    keys = np.concatenate([U, (s * asinh_offset(b1[idx], logw))[:, None]], axis=1)
    cexp = ew_ + ev[idx]
    unit_C = Vu[idx] * wm_[:, None]
    unit_M = vm[idx] * wm_
    with np.errstate(under="ignore", over="ignore"):
        C = np.ldexp(unit_C, (cexp - ex.channel)[:, None])
        mass = np.ldexp(unit_M, cexp - ex.channel)
        lin_f = np.ldexp(Vu[idx], (cexp - ex.linear)[:, None])  # v_i 2^(ew_i - linear), times w_i 2^-ew_i
        L = 0.5 * (lin_f.T @ Wm) if idx.size else np.zeros((p, d))
        lin_mass = float(np.ldexp(unit_M, cexp - ex.linear).sum())
        cterm = np.ldexp(Vu * mb[:, None], (ev + eb - ex.constant)[:, None])  # v_i b_i, per neuron
        cmass = np.ldexp(vm * np.abs(mb), ev + eb - ex.constant)
        dead = ~live
        pos = dead & (b1 > 0)
        e = np.ldexp(b2, -ex.constant) + 0.5 * cterm[idx].sum(axis=0) + cterm[pos].sum(axis=0)
        const_mass = float(cmass[idx].sum() + cmass[pos].sum() + norm(np.ldexp(b2, -ex.constant)))
    return FloatForm(U, beta + 0.0, WB, keys, C, mass, L.reshape(p, d), np.asarray(e, dtype=np.float64).reshape(p),
                     lin_mass, const_mass, idx, unit_C, unit_M, cexp, ex)


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
