"""The independent checker: re-verify a verdict's evidence by direct, exact evaluation.

It shares nothing with the oracles but the network weights and the reading of representation matrices
(:func:`equifuzz.nets.exact.rational_matrix`: a float matrix within a few ulps of a rational one is that
rational matrix, as the question means it). It evaluates networks exactly on dyadic inputs (every float64
is one) in integer arithmetic (each array is Python integers over one rational scale,
:mod:`equifuzz.nets.exact`; no Fraction is formed per neuron), and checks

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

Norms (square roots) are bounded from above by integer square roots carrying 64 extra bits
(``ceil(2^64 sqrt(n))``), so a verified witness is never weaker than it claims, and no value is ever
converted to a float on the way: weights from subnormals to 1e308 are handled alike. Floats appear only
in the :class:`Witness` fields kept for display (saturating to 0 or inf); its messages print the exact
values.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..nets.exact import Scaled, rational_matrix, scaled
from ..nets.relu_net import ReLUNet

__all__ = ["ExactNet", "Witness", "WitnessEvaluator", "evaluate_witness", "verify_witness", "verify_matching",
           "verify_permutation", "check_verdict", "exact_net", "sci"]

K_BITS = 64  # extra bits carried by every integer upper bound of a norm


def sqrt_up(q: Fraction) -> Fraction:
    """An upper bound of sqrt(q) as an exact fraction (within one part in 2^64 for any magnitude)."""
    if q <= 0:
        return Fraction(0)
    n, d = q.numerator, q.denominator
    shift = max(0, 128 - (n.bit_length() - d.bit_length()))  # keep 64+ significant bits in the root
    shift += shift % 2
    r = math.isqrt((n << shift) // d) + 1
    return Fraction(r, 1 << (shift // 2))


def _norms_up(sumsq: np.ndarray) -> np.ndarray:
    """ceil(2^K sqrt(n)) for each non-negative integer n: upper bounds of norms, over 2^-K."""
    out = np.empty(sumsq.shape, dtype=object)
    flat = out.reshape(-1)
    for i, n in enumerate(sumsq.ravel()):
        n = int(n) << (2 * K_BITS)
        r = math.isqrt(n)
        flat[i] = r if r * r == n else r + 1
    return out


def _obj(a: np.ndarray) -> np.ndarray:
    return a if a.dtype == object else a.astype(object)


def _orthogonal(B: Scaled) -> bool:
    """Whether B^T B = I exactly."""
    n = B.ints.shape[1]
    G = B.ints.T.dot(B.ints)
    s2 = B.scale * B.scale
    return B.ints.shape[0] == n and all(Fraction(int(G[i, j])) * s2 == (1 if i == j else 0)
                                        for i in range(n) for j in range(n))


def sci(q: Fraction | int, digits: int = 3) -> str:
    """A rational in %g style without passing through a float outside its range (1e-400 prints as 1e-400)."""
    q = Fraction(q)
    if q == 0:
        return "0"
    if Fraction(1, 10**300) < abs(q) < 10**300:
        return f"{float(q):.{digits}g}"
    sign, q = ("-" if q < 0 else ""), abs(q)
    n, d = q.numerator, q.denominator
    e = len(str(n)) - len(str(d))

    def at_least(k: int) -> bool:  # q >= 10^k
        return n * 10 ** max(-k, 0) >= d * 10 ** max(k, 0)

    while not at_least(e):
        e -= 1
    while at_least(e + 1):
        e += 1
    k = digits - 1 - e
    m = round(Fraction(n * 10 ** max(k, 0), d * 10 ** max(-k, 0)))
    if m >= 10**digits:
        m, e = m // 10, e + 1
    s = str(m).rstrip("0") or "0"
    mant = s[0] + ("." + s[1:] if len(s) > 1 else "")
    return f"{sign}{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"


def _float(q: Fraction) -> float:
    """q as a float for the display fields: 0 stays 0, magnitudes beyond float64 saturate to inf or 0."""
    if q == 0:
        return 0.0
    try:
        return float(q)
    except OverflowError:
        return math.inf if abs(q) > 1 else 0.0


class ExactNet:
    """A :class:`ReLUNet` for exact evaluation: integer weights over rational scales.

    ``Nw`` (m, d) and ``Nb`` (m,) over ``s1``, ``N2`` (p, m) over ``s2``, ``b2`` exactly; ``wn[i]`` over
    2^-K s1 bounds ||w_i|| from above.
    """

    def __init__(self, net: ReLUNet) -> None:
        m, d = net.W1.shape
        self.d, self.p, self.m = d, net.p, m
        dt = object if net.exact else np.float64  # float weights convert without a per-entry type check
        WB = scaled(np.concatenate([np.asarray(net.W1, dtype=dt).reshape(m, d),
                                    np.asarray(net.b1, dtype=dt).reshape(m, 1)], axis=1))
        self.Nw, self.Nb, self.s1 = _obj(WB.ints[:, :d]), _obj(WB.ints[:, d]), WB.scale
        V = scaled(net.W2)
        self.N2, self.s2 = _obj(V.ints), V.scale
        self.b2 = np.array([Fraction(v) for v in np.ravel(net.b2)] + [None], dtype=object)[:-1]
        self.wn = _norms_up((self.Nw * self.Nw).sum(axis=1)) if m else np.zeros(0, dtype=object)
        self.bn = np.abs(self.Nb)
        self._vsizes: dict[bytes, tuple[np.ndarray, Fraction]] = {}

    def preactivations(self, X: Scaled) -> tuple[np.ndarray, int]:
        """(P, b): W1 x_k + b1 = P[k] * s1 / b for the rows x_k of X (X.scale = a / b)."""
        a, b = X.scale.numerator, X.scale.denominator
        if self.m == 0:
            return np.zeros((X.ints.shape[0], 0), dtype=object), b
        return X.ints.dot(self.Nw.T) * a + self.Nb[None, :] * b, b

    def hidden(self, x: Scaled) -> tuple[np.ndarray, Fraction]:
        """relu(W1 x + b1) as integers over a scale, for one input."""
        P, b = self.preactivations(Scaled(np.asarray(x.ints, dtype=object).reshape(1, -1), x.scale))
        return np.where(P[0] > 0, P[0], 0), self.s1 / b

    def __call__(self, x: Scaled) -> np.ndarray:
        """f(x) exactly (Fractions), for one input."""
        R, s = self.hidden(x)
        out = self.N2.dot(R) if self.m else np.zeros(self.p, dtype=object)
        sc = s * self.s2
        return np.array([Fraction(int(v)) * sc + b for v, b in zip(out, self.b2, strict=True)] + [None],
                        dtype=object)[:-1]

    def vsizes(self, B: Scaled | None) -> tuple[np.ndarray, Fraction]:
        """(VS, scale): ||B v_i|| <= VS[i] * scale (||v_i|| without B)."""
        if B is not None and _orthogonal(B):
            B = None  # ||B v|| = ||v||, exactly
        key = b"" if B is None else repr((B.ints.tolist(), B.scale)).encode()
        if key not in self._vsizes:
            V, s = (self.N2, self.s2) if B is None else (B.ints.dot(self.N2), B.scale * self.s2)
            VS = _norms_up((V * V).sum(axis=0)) if self.m else np.zeros(0, dtype=object)
            self._vsizes[key] = (VS, s / (1 << K_BITS))
        return self._vsizes[key]

    def perturbation_scale(self, P: np.ndarray, b: int, X: Scaled, coefficients: tuple[int, ...], tol: Fraction,
                           B: Scaled | None) -> Fraction:
        """The per-neuron scale of this network's part of a combination (see :class:`WitnessEvaluator`), from
        its preactivations ``P`` over s1 / b at the rows of ``X``."""
        if self.m == 0:
            return Fraction(0)
        a = X.scale.numerator
        one = 1 << (2 * K_BITS)
        c = np.array(coefficients, dtype=object)
        XN = _norms_up((X.ints * X.ints).sum(axis=1))  # ||x_k|| <= XN[k] 2^-K sx
        xs = (c[:, None] * X.ints).sum(axis=0)
        XS = _norms_up(np.array([(xs * xs).sum()], dtype=object))[0]
        csum = abs(sum(coefficients))
        bnb = self.bn * (b * one)
        # ||w_i|| ||x_k|| + |b_i| <= T[k, i] * 2^-2K s1 / b
        XNa = XN[:, None] * a

        def T(cols: np.ndarray | slice) -> np.ndarray:
            return XNa * self.wn[None, cols] + bnb[None, cols]

        if tol == 0:  # robust means a non-zero preactivation: T is only needed for the other neurons
            robust = np.all(P != 0, axis=0)
        else:
            robust = np.all(np.abs(P) * (tol.denominator * one) > T(slice(None)) * tol.numerator, axis=0)
        affine = robust & np.all(P > 0, axis=0)
        inactive = robust & np.all(P < 0, axis=0)
        other = ~(affine | inactive)
        s = np.zeros(self.m, dtype=object)
        s[affine] = self.wn[affine] * (XS * a) + bnb[affine] * csum
        s[other] = (np.abs(c)[:, None] * T(other)).sum(axis=0)
        VS, vs = self.vsizes(B)
        return 2 * Fraction(int(VS.dot(s))) * vs * self.s1 / (b * one)


_EXACT_NETS: weakref.WeakKeyDictionary[ReLUNet, ExactNet] = weakref.WeakKeyDictionary()


def exact_net(net: ReLUNet) -> ExactNet:
    """The :class:`ExactNet` of ``net``, converted once per network object (its weights are read-only)."""
    try:
        return _EXACT_NETS[net]
    except (KeyError, TypeError):
        pass
    e = ExactNet(net)
    try:
        _EXACT_NETS[net] = e
    except TypeError:
        pass
    return e


def _fractions(M: Any) -> np.ndarray:
    a = np.asarray(M)
    if a.dtype == object and any(isinstance(v, Fraction) for v in a.ravel()):
        return np.array([Fraction(v) for v in a.ravel()] + [None], dtype=object)[:-1].reshape(a.shape)
    return scaled(a).fractions()


def _matrix(M: Any) -> np.ndarray:
    """A representation matrix as exact Fractions, read as the oracles' question reads it: a float matrix
    within a few units in the last place of a rational one (cos(pi/2) = 6e-17 as 0) is that rational
    matrix (:func:`equifuzz.nets.exact.rational_matrix`), any other float matrix its exact dyadic value."""
    a = np.asarray(M)
    if a.dtype != object:
        q = rational_matrix(a)
        if q is not None:
            return q
    return _fractions(a)


@dataclass(frozen=True)
class Witness:
    """Evidence that f(A x) = B g(x) fails: ``sum_k coefficients[k] * (f(A x_k) - B g(x_k))`` has norm
    ``error`` (exact), which exceeds ``tolerance`` times the per-neuron ``scale`` of the same combination.

    ``kind``: "kink" (second difference across a hyperplane), "linear" (first difference), "constant"
    (the value at a point). ``element``/``word`` name the group element (None for an equivalence).
    ``error``, ``scale`` and ``ratio`` are floats for display (saturating beyond float64's range);
    ``exact_error2`` (E^2) and ``exact_scale`` (S) are the exact values the messages print.
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
    exact_error2: Fraction | None = field(default=None, repr=False, compare=False)
    exact_scale: Fraction | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_exact(cls, kind: str, points: np.ndarray, coefficients: tuple[int, ...], E2: Fraction, S: Fraction,
                   tolerance: float, element: int | None = None, word: str = "", A: Any = None, B: Any = None
                   ) -> Witness:
        ratio = math.inf if S == 0 else math.sqrt(_float(E2 / (S * S)))
        return cls(kind, points, coefficients, math.sqrt(_float(E2)) if E2 > 0 else 0.0, _float(S), tolerance,
                   element, word, A, B, ratio=ratio, exact_error2=E2, exact_scale=S)

    def describe(self) -> str:
        pts = "; ".join(np.array2string(np.asarray(x, float), precision=6, separator=", ") for x in self.points)
        what = {"kink": "second difference across a kink", "linear": "first difference",
                "constant": "value"}.get(self.kind, self.kind)
        err = f"{self.error:.6g}" if self.exact_error2 is None else sci(sqrt_up(self.exact_error2), 6)
        sc = f"{self.scale:.3g}" if self.exact_scale is None else sci(self.exact_scale)
        return (f"witness ({what}) at x = {pts}: exact error {err} = {self.ratio:.3g} x the "
                f"per-neuron scale {sc} (tolerance {self.tolerance:.3g})")


class WitnessEvaluator:
    """Exact (E^2, S) of combinations of points for one pair f, g and one element (A, B).

    S bounds how much the combination can move when every neuron's w, b and v, and the output bias,
    are perturbed by a relative ``tol``, divided by ``tol``: a neuron that keeps one sign with margin on all
    points is affine there and only moves the combination by ||v|| (||w|| ||sum c_k x_k|| + |b| |sum c_k|)
    (zero for a second difference); a neuron that is inactive with margin does not move it; any other
    neuron by ||v|| sum_k |c_k| (||w|| ||x_k|| + |b|). Both bounds are doubled (w and b, and v).

    The exact evaluation of a combination (its preactivations and E^2) is kept, so asking again with
    another tolerance only recomputes S.
    """

    def __init__(self, f: ReLUNet, g: ReLUNet, A: Any, B: Any) -> None:
        self.F, self.G = exact_net(f), exact_net(g)
        self.A = None if A is None else scaled(_matrix(A))
        self.B = None if B is None else scaled(_matrix(B))
        b2g = self.G.b2 if self.B is None else self.B.fractions().dot(self.G.b2)
        self.b2 = self.F.b2 - b2g  # the output-bias part of the error per unit of sum c_k
        b2q = [Fraction(e) for e in self.b2]
        self._b2den = math.lcm(*(e.denominator for e in b2q)) if b2q else 1
        self._b2ints = [e.numerator * (self._b2den // e.denominator) for e in b2q]  # b2 = _b2ints / _b2den
        self.bias = (sqrt_up(sum((b * b for b in self.F.b2), Fraction(0)))
                     + sqrt_up(sum((b * b for b in b2g), Fraction(0))))
        self._done: dict[tuple[bytes, tuple[int, ...]], tuple[Fraction, tuple[Any, ...]]] = {}

    def _exact(self, points: np.ndarray, coefficients: tuple[int, ...]) -> tuple[Fraction, tuple[Any, ...]]:
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(len(coefficients), self.G.d))
        key = (pts.tobytes(), tuple(coefficients))
        if key in self._done:
            return self._done[key]
        X = scaled(pts)
        XA = X if self.A is None else Scaled(X.ints.dot(self.A.ints.T), X.scale * self.A.scale)
        c = np.array(coefficients, dtype=object)
        parts = []
        outs = []
        for N, Xn in ((self.F, XA), (self.G, X)):
            P, b = N.preactivations(Xn)
            if N.m:
                R = (c[:, None] * np.where(P > 0, P, 0)).sum(axis=0)
                out = N.N2.dot(R)
            else:
                out = np.zeros(N.p, dtype=object)
            outs.append((out, N.s1 * N.s2 / b))
            parts.append((P, b, Xn))
        (of, sf), (og, sg) = outs
        if self.B is not None:
            og, sg = self.B.ints.dot(og), sg * self.B.scale
        csum = sum(coefficients)
        # err_k = u_k sf - v_k sg + csum e_k, in integers over one denominator D: E^2 = sum (D err_k)^2 / D^2
        D = math.lcm(sf.denominator, sg.denominator, self._b2den)
        a, c2 = sf.numerator * (D // sf.denominator), sg.numerator * (D // sg.denominator)
        k = csum * (D // self._b2den)
        total = sum((int(u) * a - int(v) * c2 + k * e) ** 2 for u, v, e in zip(of, og, self._b2ints, strict=True))
        E2 = Fraction(total, D * D)
        self._done[key] = (E2, tuple(parts))
        return self._done[key]

    def error2(self, points: np.ndarray, coefficients: tuple[int, ...]) -> Fraction:
        """E^2, exactly."""
        return self._exact(points, coefficients)[0]

    def scale(self, points: np.ndarray, coefficients: tuple[int, ...], tol: Fraction) -> Fraction:
        """S for the relative perturbation ``tol`` (an upper bound, exact)."""
        _, ((Pf, bf, Xf), (Pg, bg, Xg)) = self._exact(points, coefficients)
        tol = Fraction(tol)
        S = self.F.perturbation_scale(Pf, bf, Xf, coefficients, tol, None)
        S += self.G.perturbation_scale(Pg, bg, Xg, coefficients, tol, self.B)
        return S + 2 * abs(sum(coefficients)) * self.bias

    def __call__(self, points: np.ndarray, coefficients: tuple[int, ...], tol: Fraction
                 ) -> tuple[Fraction, Fraction]:
        return self.error2(points, coefficients), self.scale(points, coefficients, tol)


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

    Aq = None if A is None else _matrix(A)
    Bq = None if B is None else _matrix(B)
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
    Ad, Bq = _matrix(A_dual), _matrix(B)
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



def _copies(net: ReLUNet, A_dual: Any, B: Any, i: int, up_to_scaling: bool) -> tuple[int, int]:
    """(how many neurons equal neuron i, how many equal its image under (A_dual, B)), exactly and up to positive
    scaling (w, b, v) ~ (s w, s b, v / s) when ``up_to_scaling``. Layer-wise equivariance permutes the neurons,
    so the two counts agree; a verdict that neuron i has no partner (0 images) or too few copies of its image
    re-checks iff they differ."""
    W1, b1, W2, _ = (_fractions(a) for a in (net.W1, net.b1, net.W2, net.b2))
    Ad, Bq = _matrix(A_dual), _matrix(B)

    def same(w: np.ndarray, b: Fraction, v: np.ndarray, t: int) -> bool:
        w2, bt, v2 = W1[t], b1[t], W2[:, t]
        ref = next((k for k in range(len(w2)) if w2[k] != 0), None)
        s = (w[ref] / w2[ref] if ref is not None else (b / bt if bt != 0 else Fraction(1)))
        if s <= 0 or (not up_to_scaling and s != 1):
            return False
        return bool(np.all(w == s * w2) and b == s * bt and np.all(v * s == v2))

    own = (W1[i], b1[i], W2[:, i])
    image = (Ad.dot(W1[i]), b1[i], Bq.dot(W2[:, i]))
    m = W1.shape[0]
    return sum(same(*own, t) for t in range(m)), sum(same(*image, t) for t in range(m))


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
            if getattr(verdict, "failure", "") == "bias":  # rho_out(g) moves the output bias, exactly
                b2 = _fractions(net.b2)
                return not bool(np.all(_matrix(rho_out(g)).dot(b2) == b2))
            own, image = _copies(net, rho_in.dual()(g), rho_out(g), verdict.neuron, verdict.up_to_scaling)
            return own != image
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
