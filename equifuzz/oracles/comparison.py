"""Compare two ReLU networks through their canonical data: is f(A x) = B g(x) for all x?

Equivariance under g is f = g, A = rho_in(g), B = rho_out(g); equivalence is A = I, B = I. By the
uniqueness of the canonical form on R^d this holds iff

1. the hyperplanes of f(A .) (the preimages A^-1 H) are those of g, kink channels matching
   (f(A .) carries channel ||A^T n_H|| c_H on A^-1 H, B g carries B c_H'),
2. L_f A = B L_g, and 3. e_f = B e_g.

``compare_exact`` decides this exactly (integer arithmetic, :mod:`equifuzz.exact`); ``compare_float``
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

from ..canonical import ExactForm, FloatForm, asinh_offset, orient
from ..exact import Scaled, primitive_rows
from ..nets import cluster_unoriented

__all__ = ["Defect", "compare_exact", "compare_float", "ROUNDOFF"]

EPS = float(np.finfo(np.float64).eps)
ROUNDOFF = 64 * EPS  # per unit of summed size: the floor below which float sums cannot be trusted


@dataclass(frozen=True)
class Defect:
    """One datum of the canonical identity that fails: ``kind`` is "kink", "linear" or "constant".

    For a kink, ``normal``/``offset`` give the hyperplane {n . x + beta = 0} in x coordinates (unit n).
    ``size`` is the defect's norm, ``scale`` what it is measured against (``relative`` = size / scale),
    ``threshold`` the size it exceeds (0 for an exact comparison).
    """

    kind: str
    size: float
    scale: float
    threshold: float = 0.0
    normal: np.ndarray | None = None
    offset: float = 0.0
    matrix: np.ndarray | None = field(default=None, repr=False)  # linear defect L_f A - B L_g

    @property
    def relative(self) -> float:
        return self.size / self.scale if self.scale > 0 else (np.inf if self.size > 0 else 0.0)

    def describe(self) -> str:
        if self.kind == "kink":
            n = np.array2string(np.asarray(self.normal, float), precision=6, separator=", ")
            return (f"kink on the hyperplane n = {n}, beta = {self.offset:.6g}: channel defect "
                    f"{self.size:.3g} = {self.relative:.3g} of the neurons on it (threshold {self.threshold:.3g})")
        what = "linear parts" if self.kind == "linear" else "constants"
        return f"{what} differ by {self.size:.3g} = {self.relative:.3g} relative (threshold {self.threshold:.3g})"


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
        for h, (k, g) in enumerate(zip(keys, factors, strict=True)):
            alpha = Fraction(abs(g), sA.denominator) * F.channel_scale  # channel of f(A.) = alpha * C_F[h]
            lhs = F.channels[h]
            j = gindex.get(k)
            beta = sB * G.channel_scale
            rhs = NB.dot(G.channels[j]) if j is not None else None
            if j is not None and rhs is not None:
                hit[j] = True
                if all(int(x) * alpha.numerator * beta.denominator == int(y) * beta.numerator * alpha.denominator
                       for x, y in zip(lhs, rhs, strict=True)):
                    continue
            lhs_q = [Fraction(int(x)) * alpha for x in lhs]
            rhs_q = [Fraction(int(y)) * beta for y in rhs] if rhs is not None else [Fraction(0)] * p
            defects.append(_kink_defect(k, d, lhs_q, rhs_q))
    for jj in np.flatnonzero(~hit):
        rhs_q = [Fraction(int(y)) * sB * G.channel_scale for y in NB.dot(G.channels[jj])]
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
        defects.append(Defect("linear", _qnorm(Mq), _qnorm(LAq) + _qnorm(BLq), matrix=M))
    ea, eb = F.constant_scale, sB * G.constant_scale
    BE = NB.dot(G.constant)
    if np.any(F.constant * ea.numerator * eb.denominator != BE * eb.numerator * ea.denominator):
        Eq = [Fraction(int(x)) * ea for x in F.constant]
        BEq = [Fraction(int(y)) * eb for y in BE]
        defects.append(Defect("constant", _qnorm([a - b for a, b in zip(Eq, BEq, strict=True)]),
                              _qnorm(Eq) + _qnorm(BEq)))
    defects.sort(key=lambda x: -x.relative)
    return defects


def _qnorm(v: list[Fraction]) -> float:
    """Euclidean norm of exact values, accurate for any magnitude (no underflow to 0 of a non-zero)."""
    s = sum((x * x for x in v), Fraction(0))
    if s == 0:
        return 0.0
    return math.exp(0.5 * (math.log(s.numerator) - math.log(s.denominator)))


def _kink_defect(key: tuple[int, ...], d: int, lhs: list[Fraction], rhs: list[Fraction]) -> Defect:
    n = np.array([float(v) for v in key[:d]])
    nn = float(np.linalg.norm(n))
    return Defect("kink", _qnorm([a - b for a, b in zip(lhs, rhs, strict=True)]), _qnorm(lhs) + _qnorm(rhs),
                  normal=n / nn, offset=float(key[d]) / nn)


def compare_float(F: FloatForm, G: FloatForm, A: np.ndarray | None, B: np.ndarray | None, tol: float,
                  cond: float = 1.0) -> tuple[list[Defect], float]:
    """Tolerance decision of f(A x) = B g(x) (see the module docstring): the defects above threshold, and
    the largest relative residual of any datum. ``tol`` already includes the conditioning ``cond`` =
    cond(A) cond(B); the round-off floor grows with it too. The largest residual is reported in units of
    ``tol``: a datum exactly at its threshold (tolerance plus round-off floor) reads as ``tol``."""
    d, p = F.linear.shape[1], F.linear.shape[0]
    A_ = np.eye(d) if A is None else A
    B_ = np.eye(p) if B is None else B
    nB = float(np.linalg.norm(B_, 2)) if p else 1.0
    nA = float(np.linalg.norm(A_, 2)) if d else 1.0
    thr = tol + ROUNDOFF * cond
    # hyperplanes of f(A .): (u, beta) -> (A^T u, beta); channel ||w|| v -> ||A^T u|| ||w|| v
    AU = F.normals @ A_
    mu = np.linalg.norm(AU, axis=1)
    safe = np.where(mu > 0, mu, 1.0)
    U2 = AU / safe[:, None]
    sg = orient(U2) if U2.size else np.ones(0)  # U2 rows are unit vectors
    key_b = asinh_offset(F.offsets * sg, np.log(safe)) if U2.size else np.zeros(0)
    img = np.concatenate([U2 * sg[:, None], key_b[:, None]], axis=1).reshape(-1, d + 1)
    X = np.concatenate([img, G.keys]).reshape(-1, d + 1)
    nf = img.shape[0]
    labels = cluster_unoriented(X, tol + 8 * EPS * max(nA, 1.0) * _cond(A_))
    k = int(labels.max()) + 1 if labels.size else 0
    D = np.zeros((k, p))
    M = np.zeros(k)
    np.add.at(D, labels[:nf], F.channels * mu[:, None])
    np.add.at(D, labels[nf:], -(G.channels @ B_.T))
    np.add.at(M, labels[:nf], F.mass * mu)
    np.add.at(M, labels[nf:], G.mass * nB)
    defects: list[Defect] = []
    size = np.linalg.norm(D, axis=1) if k else np.zeros(0)
    # residuals in units of the tolerance: a datum at its threshold reads as ``tol`` (so error <= tol iff holds)
    unit = tol if tol > 0 else 1.0
    worst = float(np.max(size / np.where(M > 0, thr * M, np.inf), initial=0.0)) * unit
    for c in np.flatnonzero(size > thr * M):
        first = int(np.flatnonzero(labels == c)[0])
        if first < nf:
            n_, b_ = U2[first] * sg[first], float(F.offsets[first] * sg[first] / mu[first])
        else:
            n_, b_ = G.normals[first - nf], float(G.offsets[first - nf])
        defects.append(Defect("kink", float(size[c]), float(M[c]), float(thr * M[c]), normal=n_, offset=b_))
    LA, BL = F.linear @ A_, B_ @ G.linear
    Ld = LA - BL
    l_scale = float(np.linalg.norm(LA) + np.linalg.norm(BL))
    l_floor = ROUNDOFF * cond * (F.linear_mass * nA + nB * G.linear_mass) * (d + p)
    l_thr = tol * l_scale + l_floor
    worst = max(worst, float(np.linalg.norm(Ld)) / l_thr * unit if l_thr > 0 else 0.0)
    if np.linalg.norm(Ld) > tol * l_scale + l_floor:
        defects.append(Defect("linear", float(np.linalg.norm(Ld)), l_scale, tol * l_scale + l_floor, matrix=Ld))
    Ed = F.constant - B_ @ G.constant
    e_scale = float(np.linalg.norm(F.constant) + np.linalg.norm(B_ @ G.constant))
    e_floor = ROUNDOFF * cond * (F.constant_mass + nB * G.constant_mass) * (d + p)
    e_thr = tol * e_scale + e_floor
    worst = max(worst, float(np.linalg.norm(Ed)) / e_thr * unit if e_thr > 0 else 0.0)
    if np.linalg.norm(Ed) > tol * e_scale + e_floor:
        defects.append(Defect("constant", float(np.linalg.norm(Ed)), e_scale, tol * e_scale + e_floor))
    defects.sort(key=lambda x: -(x.size / x.threshold if x.threshold > 0 else np.inf))
    return defects, worst
def _cond(A: np.ndarray) -> float:
    return float(np.linalg.cond(A)) if A.size else 1.0
