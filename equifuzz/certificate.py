"""The independent checker: re-verify a verdict's evidence by direct, exact evaluation.

It shares nothing with the oracles but the network weights: it evaluates networks exactly on dyadic
inputs (every float64 is one), with Python integers and fractions, and checks

* a **witness** of a failure: points x_k, coefficients c_k and an element acting by (A, B); the error
  E = ||sum_k c_k (f(A x_k) - B g(x_k))|| is computed exactly and must exceed ``tolerance`` times the
  per-neuron scale S: the most the combination can move when each neuron is perturbed by a relative
  ``tolerance`` (over ``tolerance``). A second difference across a hyperplane only sees the neurons that
  kink near the segment, so one huge neuron elsewhere cannot hide a small neuron's defect; and a point
  sitting on a kink cannot pass round-off off as a defect. E > 0 alone proves that the exact numbers
  violate the identity;
* a **matching** certificate of a success: the claimed image of every hyperplane, checked exactly
  neuron by neuron (:func:`verify_matching`);
* a **permutation** certificate of layer-wise equivariance (:func:`verify_permutation`).

Norms of irrational size (square roots) are bounded from above in float64 and then used exactly, so a
verified witness is never weaker than it claims.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .exact import Scaled, scaled
from .nets import ReLUNet

__all__ = ["ExactNet", "Witness", "WitnessEvaluator", "evaluate_witness", "verify_witness", "verify_matching",
           "verify_permutation", "check_verdict"]


def _sqrt_up(q: Fraction) -> Fraction:
    """An upper bound of sqrt(q) as an exact fraction (within one part in 2^64 for any magnitude)."""
    if q <= 0:
        return Fraction(0)
    n, d = q.numerator, q.denominator
    shift = max(0, 128 - (n.bit_length() - d.bit_length()))  # keep 64+ significant bits in the root
    shift += shift % 2
    r = math.isqrt((n << shift) // d) + 1
    return Fraction(r, 1 << (shift // 2))


class ExactNet:
    """A :class:`ReLUNet` for exact evaluation: integer weights over rational scales."""

    def __init__(self, net: ReLUNet) -> None:
        m, d = net.W1.shape
        self.d, self.p, self.m = d, net.p, m
        WB = scaled(np.concatenate([np.asarray(net.W1, dtype=object).reshape(m, d),
                                    np.asarray(net.b1, dtype=object).reshape(m, 1)], axis=1))
        self.Nw, self.Nb, self.s1 = WB.ints[:, :d], WB.ints[:, d], WB.scale
        V = scaled(net.W2)
        self.N2, self.s2 = V.ints, V.scale
        self.b2 = np.array([Fraction(v) for v in np.ravel(net.b2)] + [None], dtype=object)[:-1]

    def hidden(self, x: Scaled) -> tuple[np.ndarray, Fraction]:
        """relu(W1 x + b1) as integers over a scale."""
        xa, xb = x.scale.numerator, x.scale.denominator
        P = self.Nw.dot(x.ints) * xa + self.Nb * xb if self.m else np.zeros(0, dtype=object)
        R = np.array([v if v > 0 else 0 for v in P] + [None], dtype=object)[:-1]
        return R, self.s1 / xb

    def __call__(self, x: Scaled) -> np.ndarray:
        R, s = self.hidden(x)
        out = self.N2.dot(R) if self.m else np.zeros(self.p, dtype=object)
        sc = s * self.s2
        return np.array([Fraction(int(v)) * sc + b for v, b in zip(out, self.b2, strict=True)] + [None],
                        dtype=object)[:-1]

    def perturbation_scale(self, xs: list[Scaled], coefficients: tuple[int, ...], tol: Fraction,
                           vsizes: list[Fraction]) -> Fraction:
        """sum_i vsizes[i] s_i (see :class:`WitnessEvaluator`) for inputs ``xs``."""
        if self.m == 0:
            return Fraction(0)
        xnorm = [_sqrt_up(sum((Fraction(int(v)) ** 2 for v in x.ints), Fraction(0)) * x.scale ** 2) for x in xs]
        xsum = np.zeros(self.d, dtype=object) + Fraction(0)
        for x, c in zip(xs, coefficients, strict=True):
            xsum = xsum + c * x.fractions()
        xsum_n = _sqrt_up(sum((v * v for v in xsum), Fraction(0)))
        csum = abs(sum(coefficients))
        wn = [_sqrt_up(Fraction(sum(int(v) ** 2 for v in row))) * self.s1 for row in self.Nw]
        bn = [abs(Fraction(int(v))) * self.s1 for v in self.Nb]
        pres = []
        for x in xs:
            xa, xb = x.scale.numerator, x.scale.denominator
            P = self.Nw.dot(x.ints) * xa + self.Nb * xb
            pres.append((P, self.s1 / xb))
        total = Fraction(0)
        for i in range(self.m):
            if vsizes[i] == 0:
                continue
            signs = set()
            robust = True
            for k, (P, sc) in enumerate(pres):
                v = Fraction(int(P[i])) * sc
                if abs(v) <= tol * (wn[i] * xnorm[k] + bn[i]):
                    robust = False
                    break
                signs.add(v > 0)
            if robust and signs == {False}:
                continue
            if robust and len(signs) == 1:
                s_i = wn[i] * xsum_n + bn[i] * csum
            else:
                s_i = sum((abs(c) * (wn[i] * xnorm[k] + bn[i]) for k, c in enumerate(coefficients)), Fraction(0))
            total += 2 * vsizes[i] * s_i
        return total

    def neuron_sizes(self, B: np.ndarray | None = None) -> list[Fraction]:
        """Upper bounds of ||B v_i|| (||v_i|| without B), exact fractions."""
        V = self.N2 if B is None else np.asarray(B, dtype=object).dot(self.N2 * self.s2)
        s = self.s2 if B is None else Fraction(1)
        return [_sqrt_up(sum((Fraction(x) for x in V[:, i] ** 2), Fraction(0)) * s * s) for i in range(self.m)]


def _fractions(M: Any) -> np.ndarray:
    a = np.asarray(M)
    if a.dtype == object and any(isinstance(v, Fraction) for v in a.ravel()):
        return np.array([Fraction(v) for v in a.ravel()] + [None], dtype=object)[:-1].reshape(a.shape)
    return scaled(a).fractions()


@dataclass(frozen=True)
class Witness:
    """Evidence that f(A x) = B g(x) fails: ``sum_k coefficients[k] * (f(A x_k) - B g(x_k))`` has norm
    ``error`` (exact), which exceeds ``tolerance`` times the per-neuron ``scale`` of the same combination.

    ``kind``: "kink" (second difference across a hyperplane), "linear" (first difference), "constant"
    (the value at a point). ``element``/``word`` name the group element (None for an equivalence).
    """

    kind: str
    points: np.ndarray
    coefficients: tuple[int, ...]
    error: float
    scale: float
    tolerance: float
    element: int | None = None
    word: str = ""
    A: np.ndarray | None = field(default=None, repr=False)
    B: np.ndarray | None = field(default=None, repr=False)
    ratio: float = 0.0  # error / scale, computed from the exact values

    def describe(self) -> str:
        pts = "; ".join(np.array2string(np.asarray(x, float), precision=6, separator=", ") for x in self.points)
        what = {"kink": "second difference across a kink", "linear": "first difference",
                "constant": "value"}.get(self.kind, self.kind)
        return (f"witness ({what}) at x = {pts}: exact error {self.error:.6g} = {self.ratio:.3g} x the "
                f"per-neuron scale {self.scale:.3g} (tolerance {self.tolerance:.3g})")


class WitnessEvaluator:
    """Exact (E^2, S) of combinations of points for one pair f, g and one element (A, B).

    S bounds how much the combination can move when every neuron's w, b and v, and the output bias,
    are perturbed by a relative ``tol``, divided by ``tol``: a neuron that keeps one sign with margin on all
    points is affine there and only moves the combination by ||v|| (||w|| ||sum c_k x_k|| + |b| |sum c_k|)
    (zero for a second difference); a neuron that is inactive with margin does not move it; any other
    neuron by ||v|| sum_k |c_k| (||w|| ||x_k|| + |b|). Both bounds are doubled (w and b, and v).
    """

    def __init__(self, f: ReLUNet, g: ReLUNet, A: Any, B: Any) -> None:
        self.F, self.G = ExactNet(f), ExactNet(g)
        self.Aq = _fractions(np.eye(self.F.d) if A is None else A)
        self.Bq = _fractions(np.eye(self.F.p) if B is None else B)
        self.sizes_f = self.F.neuron_sizes()
        self.sizes_g = self.G.neuron_sizes(self.Bq)
        self.bias = (_sqrt_up(sum((b * b for b in self.F.b2), Fraction(0)))
                     + _sqrt_up(sum((b * b for b in self.Bq.dot(self.G.b2)), Fraction(0))))

    def __call__(self, points: np.ndarray, coefficients: tuple[int, ...], tol: Fraction
                 ) -> tuple[Fraction, Fraction]:
        F, G = self.F, self.G
        err = np.zeros(F.p, dtype=object) + Fraction(0)
        xs_f, xs_g = [], []
        for x, c in zip(points, coefficients, strict=True):
            xs = scaled(np.asarray(x, dtype=np.float64))
            ax = self.Aq.dot(xs.fractions())
            axs = scaled(np.array(list(ax) + [None], dtype=object)[:-1])
            err = err + c * (F(axs) - self.Bq.dot(G(xs)))
            xs_f.append(axs)
            xs_g.append(xs)
        E2 = sum((Fraction(v) ** 2 for v in err), Fraction(0))
        S = F.perturbation_scale(xs_f, coefficients, tol, self.sizes_f)
        S += G.perturbation_scale(xs_g, coefficients, tol, self.sizes_g)
        S += 2 * abs(sum(coefficients)) * self.bias
        return E2, S


def evaluate_witness(f: ReLUNet, g: ReLUNet, A: Any, B: Any, points: np.ndarray, coefficients: tuple[int, ...],
                     tol: float) -> tuple[Fraction, Fraction]:
    """Exact (E^2, S) for the combination: E the error's Euclidean norm, S the per-neuron scale (upper bound)."""
    return WitnessEvaluator(f, g, A, B)(points, coefficients, Fraction(tol))


def verify_witness(f: ReLUNet, g: ReLUNet, witness: Witness) -> bool:
    """True iff the witness's exact error exceeds its tolerance times its per-neuron scale (and is > 0)."""
    E2, S = evaluate_witness(f, g, witness.A, witness.B, witness.points, witness.coefficients, witness.tolerance)
    tol = Fraction(witness.tolerance)
    return E2 > 0 and E2 > (tol * S) ** 2


def verify_matching(f: ReLUNet, g: ReLUNet, A: Any, B: Any) -> bool:
    """Exactly re-check f(A x) = B g(x) neuron by neuron (hyperplanes keyed by (w, b) over its first
    non-zero entry, channels summed), independently of the oracles' canonical forms."""
    def data(net: ReLUNet, M: np.ndarray | None, N: np.ndarray | None) -> tuple[dict, np.ndarray, np.ndarray]:
        W1, b1, W2, b2 = (_fractions(a) for a in (net.W1, net.b1, net.W2, net.b2))
        if M is not None:
            W1 = W1.dot(M)
        if N is not None:
            W2, b2 = N.dot(W2), N.dot(b2)
        kinks: dict[tuple[Fraction, ...], np.ndarray] = {}
        L = np.zeros((W2.shape[0], W1.shape[1]), dtype=object) + Fraction(0)
        e = b2 + Fraction(0)
        for i in range(W1.shape[0]):
            w, b, v = W1[i], b1[i], W2[:, i]
            lead = next((x for x in w if x != 0), None)
            if lead is None:
                e = e + v * max(b, Fraction(0))
                continue
            key = tuple(x / lead for x in w) + (b / lead,)
            kinks[key] = kinks.get(key, np.zeros(len(v), dtype=object) + Fraction(0)) + abs(lead) * v
            L = L + np.outer(v, w) / 2
            e = e + v * b / 2
        return {k: c for k, c in kinks.items() if any(x != 0 for x in c)}, L, e

    Aq = None if A is None else _fractions(A)
    Bq = None if B is None else _fractions(B)
    kf, Lf, ef = data(f, Aq, None)
    kg, Lg, eg = data(g, None, Bq)
    if set(kf) != set(kg):
        return False
    return (all(np.all(kf[k] == kg[k]) for k in kf) and bool(np.all(Lf == Lg)) and bool(np.all(ef == eg)))


def verify_permutation(net: ReLUNet, A_dual: Any, B: Any, sigma: np.ndarray, neurons: np.ndarray,
                       up_to_scaling: bool = True) -> bool:
    """Exactly re-check that the element (A_dual = rho_in(g)^-T, B = rho_out(g)) maps live neuron
    ``neurons[j]`` onto ``neurons[sigma[j]]``: (A_dual w, b, B v) = (s w', s b', v' / s) with s > 0 (s = 1 when
    ``up_to_scaling`` is False), and fixes b2."""
    W1, b1, W2, b2 = (_fractions(a) for a in (net.W1, net.b1, net.W2, net.b2))
    Ad, Bq = _fractions(A_dual), _fractions(B)
    for j, i in enumerate(neurons):
        t = neurons[int(sigma[j])]
        w, b, v = Ad.dot(W1[i]), b1[i], Bq.dot(W2[:, i])
        w2, b2_, v2 = W1[t], b1[t], W2[:, t]
        ref = next((k for k in range(len(w2)) if w2[k] != 0), None)
        if ref is None:
            s = b / b2_ if b2_ != 0 else Fraction(1)
        else:
            s = w[ref] / w2[ref]
        if s <= 0 or (not up_to_scaling and s != 1):
            return False
        if not (np.all(w == s * w2) and b == s * b2_ and np.all(v * s == v2)):
            return False
    return bool(np.all(Bq.dot(b2) == b2))



def _has_partner(net: ReLUNet, A_dual: Any, B: Any, i: int, up_to_scaling: bool) -> bool:
    """Whether the image of neuron i under (A_dual, B) equals a neuron of the network (up to scaling), exactly.
    (A neuron whose image matches but with other multiplicities also fails layer-wise equivariance; this
    check certifies the commoner "no partner at all".)"""
    W1, b1, W2, _ = (_fractions(a) for a in (net.W1, net.b1, net.W2, net.b2))
    Ad, Bq = _fractions(A_dual), _fractions(B)
    w, b, v = Ad.dot(W1[i]), b1[i], Bq.dot(W2[:, i])
    for t in range(W1.shape[0]):
        w2, bt, v2 = W1[t], b1[t], W2[:, t]
        ref = next((k for k in range(len(w2)) if w2[k] != 0), None)
        s = (w[ref] / w2[ref] if ref is not None else (b / bt if bt != 0 else Fraction(1)))
        if s <= 0 or (not up_to_scaling and s != 1):
            continue
        if np.all(w == s * w2) and b == s * bt and np.all(v * s == v2):
            return True
    return False


def check_verdict(net: ReLUNet, rho_in: Any, rho_out: Any, verdict: Any) -> bool:
    """Re-verify an equivariance or layer-wise verdict on ``net`` from its evidence alone.

    A failure must carry a witness that verifies; an exact success must pass the exact matching (every
    generator) or permutation (the recovered hidden permutation on every generator) check. Successes under
    the tolerance semantics and undecided verdicts carry no exact claim: True.
    """
    G = rho_in.group
    hidden = getattr(verdict, "hidden", None)
    layerwise = hasattr(verdict, "up_to_scaling")
    if verdict.holds is False:
        if layerwise:
            if verdict.semantics != "exact" or verdict.neuron is None:
                return verdict.reason != ""  # a tolerance failure names the neuron; no exact claim to check
            g = verdict.element
            return not _has_partner(net, rho_in.dual()(g), rho_out(g), verdict.neuron, verdict.up_to_scaling)
        w = getattr(verdict, "witness", None)
        return w is not None and verify_witness(net, net, w)
    if verdict.holds is None or getattr(verdict, "semantics", "tolerance") != "exact":
        return True
    if hidden is not None:
        neurons = np.asarray(verdict.neurons, dtype=np.int64)
        perms = hidden.permutations()
        return all(verify_permutation(net, rho_in.dual()(g), rho_out(g), perms[g], neurons, verdict.up_to_scaling)
                   for g in G.generators)
    return all(verify_matching(net, net, rho_in(g), rho_out(g)) for g in G.generators)
