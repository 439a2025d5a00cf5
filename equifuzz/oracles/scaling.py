"""Powers of two that keep a network's weight products inside float64: the same function with every
neuron's (w, b) scaled to largest entry near 1 (its v by the inverse) and the outputs over one power of
two 2^s, exactly (:func:`balanced`), and back (:func:`unbalanced`). Oracles that build networks from a
network's weights (compensate, realizability) work on the balanced network when the weights reach beyond
2^+-256, so that no product overflows or underflows from subnormal weights to 1e308.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..nets.relu_net import ReLUNet

__all__ = ["balanced", "balanced_exact", "unbalanced", "fits_float", "extreme_weights", "far_hyperplanes"]


def _exponent_range(a: np.ndarray, axis: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(smallest, largest) frexp exponent of the non-zero entries along ``axis`` (0, 0 where all are zero)."""
    a = np.asarray(a)
    if a.dtype == object:  # Fractions: the binary exponent from the bit lengths (within one of frexp's)
        nz = np.vectorize(lambda x: x != 0, otypes=[bool])(a) if a.size else np.zeros(a.shape, dtype=bool)
        e = np.vectorize(lambda x: Fraction(x).numerator.bit_length() - Fraction(x).denominator.bit_length() + 1
                         if x != 0 else 0, otypes=[np.int64])(a) if a.size else np.zeros(a.shape, dtype=np.int64)
    else:
        a = np.asarray(a, dtype=np.float64)
        e = np.frexp(a)[1].astype(np.int64)
        nz = a != 0
    big = np.iinfo(np.int64).max // 4
    lo = np.min(np.where(nz, e, big), axis=axis, initial=big)
    hi = np.max(np.where(nz, e, -big), axis=axis, initial=-big)
    none = ~np.any(nz, axis=axis)
    return np.where(none, 0, lo), np.where(none, 0, hi)


def balanced(net: ReLUNet) -> tuple[ReLUNet, int] | None:
    """(n, s): ``n`` computes exactly 2^-s f, every live neuron's (w, b) scaled by a power of two to largest
    entry near 1 (its v by the inverse) and s the power of two that brings the largest output near 1; None
    when no such float64 network is exact (a neuron's or the outputs' entries span more than float64's
    exponent range). Oracles that build networks from f's weights work on ``n`` and return
    :func:`unbalanced` results, so that no weight product overflows or underflows."""
    W1, b1, W2, b2 = net.float_params()
    WB = np.concatenate([W1, b1[:, None]], axis=1)
    lo, hi = _exponent_range(WB, axis=1) if net.width else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    # largest entry near 1, unless the smallest would leave the normal range: then the smallest kept normal
    ex = np.minimum(hi - 1, lo + 1021)
    if np.any(hi - ex > 1023):
        return None
    # the exponents of v 2^ex (the outputs before the common shift), without forming them (they may overflow)
    ev = np.frexp(W2)[1].astype(np.int64) + ex[None, :]
    eb2 = np.frexp(b2)[1].astype(np.int64)
    es = np.concatenate([ev[W2 != 0], eb2[b2 != 0]])
    vlo, vhi = (int(es.min()), int(es.max())) if es.size else (0, 0)
    s = min(vhi + 1, vlo + 1021)
    if vhi - s > 1023:
        return None
    with np.errstate(under="ignore", over="ignore"):
        n = ReLUNet(np.ldexp(W1, -ex[:, None]), np.ldexp(b1, -ex) if net.hidden_bias else None,
                    np.ldexp(W2, ex[None, :] - s), np.ldexp(b2, -s) if net.output_bias else None)
    return n, s


def far_hyperplanes(net: ReLUNet) -> bool:
    """Whether some live neuron's kink lies beyond ~2^1000 of the origin (|b| / max|w| above it): float64
    cannot hold its offset b / ||w||, so float merges of such neurons are not trusted."""
    if net.exact or not net.width:
        return False
    W1, b1, _, _ = net.float_params()
    wmax = np.max(np.abs(W1), axis=1) if W1.size else np.zeros(net.width)
    live = (wmax > 0) & (b1 != 0)
    return bool(np.any(np.frexp(b1[live])[1] - np.frexp(wmax[live])[1] > 1000))


def extreme_weights(net: ReLUNet) -> bool:
    """Whether some float weight lies outside 2^-256 .. 2^256, where products of a few weights can leave
    float64's range (then oracles that build networks work on :func:`balanced`)."""
    if net.exact:
        return False
    for a in net.float_params():
        nz = a[a != 0]
        if nz.size and np.max(np.abs(np.frexp(nz)[1])) > 256:
            return True
    return False


def _split(net: ReLUNet, s: int) -> tuple[int, bool]:
    """(a, fits): 2^a into (w, b) and 2^(s - a) into v, every non-zero weight then a normal float64 (a = 0 when
    possible, else nearest s / 2); ``fits`` False when no a does that (or b2 2^s leaves the normal range)."""
    lo1, hi1 = _exponent_range(np.concatenate([np.ravel(net.W1), np.ravel(net.b1)]))
    lo2, hi2 = _exponent_range(np.ravel(net.W2))
    lo3, hi3 = _exponent_range(np.ravel(net.b2))
    lo_a, hi_a = max(-1021 - int(lo1), s - 1024 + int(hi2)), min(1024 - int(hi1), s + 1021 + int(lo2))
    a = 0 if lo_a <= 0 <= hi_a else int(min(max(s // 2, lo_a), hi_a)) if lo_a <= hi_a else s // 2
    b2_ok = not any(x != 0 for x in np.ravel(net.b2)) or -1021 <= int(lo3) + s <= int(hi3) + s <= 1024
    return a, bool(lo_a <= hi_a and b2_ok)


def fits_float(net: ReLUNet, s: int) -> bool:
    """Whether a float64 network computes exactly 2^s times ``net``'s function (see :func:`unbalanced`)."""
    return _split(net, s)[1]


def unbalanced(net: ReLUNet, s: int) -> ReLUNet:
    """A network computing 2^s times ``net``'s function (the inverse of :func:`balanced`): v and b2 times 2^s
    when that keeps every weight a normal float64, else the power split between (w, b) and v. Exact for
    Fraction weights and whenever :func:`fits_float`; otherwise (a function of size 1e-600 needs subnormal
    factors) float64 rounds the factors."""
    if s == 0:
        return net
    a, _ = _split(net, s)
    if net.exact:
        qa, qv, q = Fraction(2) ** a, Fraction(2) ** (s - a), Fraction(2) ** s
        return ReLUNet(net.W1 * qa, net.b1 * qa if net.hidden_bias else None, net.W2 * qv,
                       net.b2 * q if net.output_bias else None, exact=True)
    W1, b1, W2, b2 = net.float_params()
    with np.errstate(under="ignore", over="ignore"):
        return ReLUNet(np.ldexp(W1, a), np.ldexp(b1, a) if net.hidden_bias else None, np.ldexp(W2, s - a),
                       np.ldexp(b2, s) if net.output_bias else None)


def _exp2(q: Fraction) -> int:
    return q.numerator.bit_length() - q.denominator.bit_length() if q != 0 else 0


def balanced_exact(net: ReLUNet) -> tuple[ReLUNet, int] | None:
    """:func:`balanced` for Fraction weights: (n, s) with n computing exactly 2^-s f, every neuron's (w, b) over
    the power of two of its largest entry (v times it) and the outputs over the largest; None when every
    weight is already within 2^+-1000 (nothing to do)."""
    vals = [Fraction(x) for a in (net.W1, net.b1, net.W2, net.b2) for x in np.ravel(a) if x != 0]
    if not net.exact or all(abs(_exp2(q)) < 1000 for q in vals):
        return None
    two = Fraction(2)
    W1 = np.array(net.W1, dtype=object)
    b1 = np.array(net.b1, dtype=object)
    W2 = np.array(net.W2, dtype=object)
    ex = [max((_exp2(Fraction(x)) for x in list(W1[i]) + [b1[i]] if x != 0), default=0) for i in range(net.width)]
    q = np.array([two ** e for e in ex] + [None], dtype=object)[:-1]
    V = W2 * q[None, :] if net.width else W2
    s = max([_exp2(Fraction(x)) for x in list(np.ravel(V)) + list(net.b2) if x != 0], default=0)
    return ReLUNet(W1 / q[:, None] if net.width else W1, b1 / q if net.hidden_bias else None, V / two ** s,
                   np.array(net.b2, dtype=object) / two ** s if net.output_bias else None, exact=True), s
