"""Compare two ReLU networks through their canonical data: is f(A x) = B g(x) for all x?

Equivariance under g is f = g, A = rho_in(g), B = rho_out(g); equivalence is A = I, B = I. By the
uniqueness of the canonical form on R^d this holds iff

1. the hyperplanes of f(A .) (the preimages A^-1 H) are those of g, kink channels matching
   (f(A .) carries channel ||A^T n_H|| c_H on A^-1 H, B g carries B c_H'),
2. L_f A = B L_g, and 3. e_f = B e_g.

``compare_exact`` decides this exactly (integer arithmetic, :mod:`equifuzz.nets.exact`); ``compare_float``
decides it in float64 with the tolerance semantics: hyperplanes closer than ``tol`` as unit vectors
(n, beta) / ||(n, beta)|| are one, a channel defect counts when it exceeds ``tol`` times the summed sizes
||w_i|| ||v_i|| of the neurons on that hyperplane (per neuron, never against the network's largest),
the linear part and constant against their own size, plus a round-off floor of the float sums.
Both return :class:`Defect` records, worst first; an empty list means the identity holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..nets.canonical import (
    ROUNDOFF,
    ExactForm,
    FloatForm,
    asinh_offset,
    cluster_sums,
    norm,
    norms,
    orient,
    roundoff_threshold,
)
from ..nets.exact import Scaled, primitive_rows
from ..nets.relu_net import cluster_unoriented

__all__ = ["Defect", "compare_exact", "compare_float", "fmt_pow2", "ROUNDOFF"]

EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Defect:
    """One datum of the canonical identity that fails: ``kind`` is "kink", "linear" or "constant".

    For a kink, ``normal``/``offset`` give the hyperplane {n . x + beta = 0} in x coordinates (unit n).
    ``size`` is the defect's norm, ``scale`` what it is measured against (``relative`` = size / scale),
    ``threshold`` the size it exceeds (0 for an exact comparison), all three in units of 2**``exponent``
    (so that values beyond float64's range, 1e-400 or 1e400, are represented and compared exactly).
    """

    kind: str
    size: float
    scale: float
    threshold: float = 0.0
    normal: np.ndarray | None = None
    offset: float = 0.0
    matrix: np.ndarray | None = field(default=None, repr=False)  # linear defect L_f A - B L_g (direction)
    exponent: int = 0

    @property
    def relative(self) -> float:
        return self.size / self.scale if self.scale > 0 else (np.inf if self.size > 0 else 0.0)

    def describe(self) -> str:
        size, thr = fmt_pow2(self.size, self.exponent), fmt_pow2(self.threshold, self.exponent)
        if self.kind == "kink":
            n = np.array2string(np.asarray(self.normal, float), precision=6, separator=", ")
            return (f"kink on the hyperplane n = {n}, beta = {self.offset:.6g}: channel defect "
                    f"{size} = {self.relative:.3g} of the neurons on it (threshold {thr})")
        what = "linear parts" if self.kind == "linear" else "constants"
        return f"{what} differ by {size} = {self.relative:.3g} relative (threshold {thr})"


def fmt_pow2(x: float, exponent: int = 0) -> str:
    """x * 2**exponent in %.3g style, also beyond float64's range (1.5e+400, 2e-500)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:.3g}"
    m, e = math.frexp(abs(x))
    e += exponent
    if -1000 < e < 1000:
        return f"{math.ldexp(x, exponent):.3g}"
    lg = math.log10(m) + e * math.log10(2.0)
    k = math.floor(lg)
    mant = 10 ** (lg - k)
    if mant >= 9.995:
        mant, k = mant / 10, k + 1
    return f"{'-' if x < 0 else ''}{mant:.3g}e{k:+d}"


def compare_exact(F: ExactForm, G: ExactForm, A: Scaled | None, B: Scaled | None) -> list[Defect]:
    """Exact decision of f(A x) = B g(x); A, B exact matrices (None for the identity)."""
    d, p = F.d, F.p
    NA = A.ints if A is not None else np.eye(d, dtype=np.int64).astype(object)
    sA = A.scale if A is not None else Fraction(1)
    NB = B.ints if B is not None else np.eye(p, dtype=np.int64).astype(object)
    sB = B.scale if B is not None else Fraction(1)
    defects: list[Defect] = []
    gindex = G.index()
    hit = np.zeros(G.n_hyperplanes, dtype=bool)
    if F.n_hyperplanes:
        K = np.array(F.keys, dtype=object).reshape(F.n_hyperplanes, d + 1)
        img = np.concatenate([sA.numerator * K[:, :d].dot(NA), sA.denominator * K[:, d:]], axis=1)
        keys, factors = primitive_rows(img, orient_cols=d)
        # channel of f(A.) on hyperplane h: |g_h| / den(sA) * cs * C_F[h]; of B g: beta * (B C_G)[j]. Compared
        # in integers: C_F[h] |g_h| L == (B C_G)[j] R, with the scales' numerators and denominators folded once
        cs = F.channel_scale
        beta = sB * G.channel_scale
        L = cs.numerator * beta.denominator
        R = beta.numerator * sA.denominator * cs.denominator
        BC = G.channels.dot(NB.T) if G.n_hyperplanes else np.zeros((0, p), dtype=object)
        for h, (k, g) in enumerate(zip(keys, factors, strict=True)):
            lhs = F.channels[h]
            j = gindex.get(k)
            rhs = BC[j] if j is not None else None
            if rhs is not None:
                hit[j] = True
                if all(x * abs(g) * L == y * R for x, y in zip(lhs, rhs, strict=True)):
                    continue
            alpha = Fraction(abs(g), sA.denominator) * cs
            lhs_q = [Fraction(int(x)) * alpha for x in lhs]
            rhs_q = [Fraction(int(y)) * beta for y in rhs] if rhs is not None else [Fraction(0)] * p
            defects.append(_kink_defect(k, d, lhs_q, rhs_q))
    for jj in np.flatnonzero(~hit):
        rhs_q = [Fraction(int(y)) * sB * G.channel_scale for y in NB.dot(G.channels[jj])]  # (rare: defects only)
        defects.append(_kink_defect(G.keys[int(jj)], d, [Fraction(0)] * p, rhs_q))
    # linear: L_f A = B L_g
    la, lb = sA * F.linear_scale, sB * G.linear_scale
    LA, BL = F.linear.dot(NA), NB.dot(G.linear)
    if np.any(LA * la.numerator * lb.denominator != BL * lb.numerator * la.denominator):
        LAq = [Fraction(int(x)) * la for x in LA.ravel()]
        BLq = [Fraction(int(y)) * lb for y in BL.ravel()]
        Mq = [a - b for a, b in zip(LAq, BLq, strict=True)]
        top = max(abs(x) for x in Mq)
        M = np.array([float(x / top) for x in Mq]).reshape(LA.shape)  # direction only (no underflow)
        (dn, ln, rn), ex = _qnorms(Mq, LAq, BLq)
        defects.append(Defect("linear", dn, ln + rn, matrix=M, exponent=ex))
    ea, eb = F.constant_scale, sB * G.constant_scale
    BE = NB.dot(G.constant)
    if np.any(F.constant * ea.numerator * eb.denominator != BE * eb.numerator * ea.denominator):
        Eq = [Fraction(int(x)) * ea for x in F.constant]
        BEq = [Fraction(int(y)) * eb for y in BE]
        (dn, ln, rn), ex = _qnorms([a - b for a, b in zip(Eq, BEq, strict=True)], Eq, BEq)
        defects.append(Defect("constant", dn, ln + rn, exponent=ex))
    defects.sort(key=lambda x: -x.relative)
    return defects


def _qnorms(*vectors: list[Fraction]) -> tuple[list[float], int]:
    """Euclidean norms of exact vectors as floats times one power of two 2**e (the largest norm in [1, 2)):
    correctly rounded, never overflowing or underflowing whatever the magnitudes (1e-400 or 1e400)."""
    sq = [_sum_squares(v) for v in vectors]
    top = max(sq)
    if top == 0:
        return [0.0] * len(sq), 0
    e = (top.numerator.bit_length() - top.denominator.bit_length()) // 2  # 4**e <= top < 4**(e + 1), about
    out = []
    for s in sq:
        q = s / 4 ** e if e >= 0 else s * 4 ** (-e)
        out.append(math.sqrt(float(q)) if q > 0 else 0.0)  # q <= 16: no overflow; tiny q may round to 0
    return out, e


def _sum_squares(v: list[Fraction]) -> Fraction:
    """sum x^2 exactly, in integers over the common denominator (one Fraction formed, not one per entry)."""
    q = [x if isinstance(x, Fraction) else Fraction(x) for x in v]
    D = math.lcm(*(x.denominator for x in q)) if q else 1
    return Fraction(sum((x.numerator * (D // x.denominator)) ** 2 for x in q), D * D)


def _kink_defect(key: tuple[int, ...], d: int, lhs: list[Fraction], rhs: list[Fraction]) -> Defect:
    top = max((abs(v) for v in key[:d]), default=1) or 1
    n = np.array([float(Fraction(v, top)) for v in key[:d]])  # in [-1, 1]: no overflow for huge integer keys
    nn = float(np.linalg.norm(n))
    (dn, ln, rn), ex = _qnorms([a - b for a, b in zip(lhs, rhs, strict=True)], lhs, rhs)
    q = Fraction(key[d], top)
    off = float(q) / nn if abs(q) < 1e300 else (math.inf if q > 0 else -math.inf)  # beyond float64: +-inf
    return Defect("kink", dn, ln + rn, normal=n / nn, offset=off, exponent=ex)


def compare_float(F: FloatForm, G: FloatForm, A: np.ndarray | None, B: np.ndarray | None, tol: float,
                  cond: float = 1.0, eps: float = EPS) -> tuple[list[Defect], float]:
    """Tolerance decision of f(A x) = B g(x) (see the module docstring): the defects above threshold, and
    the largest relative residual of any datum. ``tol`` already includes the conditioning ``cond`` =
    cond(A) cond(B); the round-off floor grows with it too. The largest residual is reported in units of
    ``tol``: a datum exactly at its threshold (tolerance plus round-off floor) reads as ``tol``. ``eps``: the
    unit round-off of the arithmetic that built the weights (:func:`~equifuzz.nets.canonical.roundoff_threshold`).

    Scale-free: each hyperplane's channels are summed in the power of two of its own largest neuron, the
    linear part and constant in the shared :class:`~equifuzz.nets.canonical.Exponents` of F and G, so that no
    size underflows or overflows for any float64 weights."""
    d, p = F.linear.shape[1], F.linear.shape[0]
    A_ = np.eye(d) if A is None else np.asarray(A, dtype=np.float64)
    B_ = np.eye(p) if B is None else np.asarray(B, dtype=np.float64)
    nB = float(np.linalg.norm(B_, 2)) if p else 1.0
    nA = float(np.linalg.norm(A_, 2)) if d else 1.0
    thr = roundoff_threshold(1.0, 1.0, tol, cond, eps=eps)  # per unit of the mass on a hyperplane
    # hyperplanes of f(A .): (u, beta) -> (A^T u, beta); channel ||w|| v -> ||A^T u|| ||w|| v
    AU = F.normals @ A_
    mu = norms(AU) if AU.size else np.zeros(AU.shape[0])
    safe = np.where(mu > 0, mu, 1.0)
    U2 = AU / safe[:, None]
    sg = orient(U2) if U2.size else np.ones(0)  # U2 rows are unit vectors
    key_b = asinh_offset(F.offsets * sg, np.log(safe)) if U2.size else np.zeros(0)
    img = np.concatenate([U2 * sg[:, None], key_b[:, None]], axis=1).reshape(-1, d + 1)
    X = np.concatenate([img, G.keys]).reshape(-1, d + 1)
    nf = img.shape[0]
    labels = cluster_unoriented(X, tol + 8 * EPS * max(nA, 1.0) * _cond(A_))
    k = int(labels.max()) + 1 if labels.size else 0
    # every row's channel and mass over its own power of two, summed per hyperplane over the largest's
    uch = np.concatenate([F.unit_channels * mu[:, None], -(G.unit_channels @ B_.T)]).reshape(-1, p)
    umass = np.concatenate([F.unit_mass * mu, G.unit_mass * nB])
    rexp = np.concatenate([F.channel_exp, G.channel_exp]).astype(np.int64)
    D, M, E = cluster_sums(uch, umass, rexp, labels, k)
    defects: list[Defect] = []
    size = norms(D) if k else np.zeros(0)
    # residuals in units of the tolerance: a datum at its threshold reads as ``tol`` (so error <= tol iff holds)
    unit = tol if tol > 0 else 1.0
    worst = float(np.max(size / np.where(M > 0, thr * M, np.inf), initial=0.0)) * unit
    for c in np.flatnonzero(size > thr * M):
        first = int(np.flatnonzero(labels == c)[0])
        if first < nf:
            with np.errstate(over="ignore"):
                n_, b_ = U2[first] * sg[first], float(F.offsets[first] * sg[first] / mu[first])
        else:
            n_, b_ = G.normals[first - nf], float(G.offsets[first - nf])
        defects.append(Defect("kink", float(size[c]), float(M[c]), float(thr * M[c]), normal=n_, offset=b_,
                              exponent=int(E[c])))
    lin_g, con_g = _in_exponents(G, F)
    LA, BL = F.linear @ A_, B_ @ lin_g
    Ld = LA - BL
    l_size = norm(Ld)
    l_scale = norm(LA) + norm(BL)
    l_thr = roundoff_threshold(l_scale, F.linear_mass * nA + nB * _mass_in(G, F, "linear"), tol, cond, d + p, eps)
    worst = max(worst, l_size / l_thr * unit if l_thr > 0 else 0.0)
    if l_size > l_thr:
        defects.append(Defect("linear", l_size, l_scale, l_thr, matrix=Ld, exponent=F.exponents.linear))
    BE = B_ @ con_g
    Ed = F.constant - BE
    e_size = norm(Ed)
    e_scale = norm(F.constant) + norm(BE)
    e_thr = roundoff_threshold(e_scale, F.constant_mass + nB * _mass_in(G, F, "constant"), tol, cond, d + p,
                               eps)
    worst = max(worst, e_size / e_thr * unit if e_thr > 0 else 0.0)
    if e_size > e_thr:
        defects.append(Defect("constant", e_size, e_scale, e_thr, exponent=F.exponents.constant))
    defects.sort(key=lambda x: -(x.size / x.threshold if x.threshold > 0 else np.inf))
    return defects, worst


def _in_exponents(G: FloatForm, F: FloatForm) -> tuple[np.ndarray, np.ndarray]:
    """G's linear part and constant in F's powers of two (the same when both come from one ``exponents``)."""
    with np.errstate(under="ignore", over="ignore"):
        return (np.ldexp(G.linear, G.exponents.linear - F.exponents.linear),
                np.ldexp(G.constant, G.exponents.constant - F.exponents.constant))


def _mass_in(G: FloatForm, F: FloatForm, what: str) -> float:
    m = G.linear_mass if what == "linear" else G.constant_mass
    e = getattr(G.exponents, what) - getattr(F.exponents, what)
    with np.errstate(under="ignore", over="ignore"):
        return float(np.ldexp(m, e))


def _cond(A: np.ndarray) -> float:
    return float(np.linalg.cond(A)) if A.size else 1.0
