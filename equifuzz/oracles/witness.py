"""Witnesses of a failed identity f(A x) = B g(x), found from the defects of the canonical comparison and
verified by the independent exact checker (:mod:`equifuzz.certificate`).

A kink defect on a hyperplane H gives the second difference at x0 - t n, x0, x0 + t n with x0 on H and
t half the distance to the next hyperplane along n; a linear defect M gives a first difference along
M's top right singular vector (and along that vector with the heaviest normals projected out, so that
large neurons do not move); a constant defect gives the value at 0.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..canonical import FloatForm
from ..certificate import Witness, WitnessEvaluator
from ..nets import ReLUNet
from .comparison import Defect

__all__ = ["find_witness"]

MAX_CANDIDATES = 16


def _hyperplanes_x(F: FloatForm, G: FloatForm, A: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Every hyperplane of f(A .) and of g as rows (n, beta) in x coordinates."""
    d = F.linear.shape[1]
    WF = F.direction.copy()
    if A is not None and WF.size:
        WF = np.concatenate([WF[:, :d] @ A, WF[:, d:]], axis=1)
    R = np.concatenate([WF, G.direction]).reshape(-1, d + 1)
    return R[:, :d], R[:, d]


def _candidates(defect: Defect, F: FloatForm, G: FloatForm, A: np.ndarray | None, rng: np.random.Generator
                ) -> list[tuple[str, np.ndarray, tuple[int, ...]]]:
    d = F.linear.shape[1]
    out: list[tuple[str, np.ndarray, tuple[int, ...]]] = []
    if defect.kind == "kink":
        n = np.asarray(defect.normal, dtype=np.float64)
        N, beta = _hyperplanes_x(F, G, A)
        along = N @ n
        base = -defect.offset * n
        scale = 1.0 + float(np.linalg.norm(base))
        # the point of H nearest the origin, and points of H moved within H: hyperplanes through a common point
        # (all of them through 0 without hidden biases) cross the normal line there, and only there
        starts = [base]
        for _ in range(2):
            z: np.ndarray = np.asarray(rng.standard_normal(d), dtype=np.float64)
            z = z - float(z @ n) * n
            if np.linalg.norm(z) > 1e-12:
                starts.append(base + scale * z / np.linalg.norm(z))
        for x0 in starts:
            with np.errstate(divide="ignore", invalid="ignore"):
                t_cross = -(N @ x0 + beta) / along
            r = 1.0 + float(np.linalg.norm(x0))
            far = np.isfinite(t_cross) & (np.abs(t_cross) > 1e-9 * r)
            t = min(0.5 * float(np.min(np.abs(t_cross[far]))) if np.any(far) else r, r)
            for tt in (t, t * 1e-3):
                out.append(("kink", np.stack([x0 - tt * n, x0, x0 + tt * n]), (1, -2, 1)))
    elif defect.kind == "linear":
        M = np.asarray(defect.matrix, dtype=np.float64)
        _, _, Vt = np.linalg.svd(M)
        dirs = [Vt[0]]
        order = np.argsort(-F.mass) if F.mass.size else np.zeros(0, dtype=np.int64)
        for k in range(1, d):
            Q, _ = np.linalg.qr(F.normals[order[:k]].T) if order.size >= k else (None, None)
            if Q is None:
                break
            v = Vt[0] - Q @ (Q.T @ Vt[0])
            if np.linalg.norm(v) > 1e-6:
                dirs.append(v / np.linalg.norm(v))
        for v in dirs:
            out.append(("linear", np.stack([np.zeros(d), v]), (-1, 1)))
        out.append(("linear", np.stack([np.zeros(d), 1e-3 * dirs[0]]), (-1, 1)))
    else:
        out.append(("constant", np.zeros((1, d)), (1,)))
        out.append(("constant", rng.standard_normal((1, d)), (1,)))
    return out


def _float(q: Fraction) -> float:
    """q as a float for display: 0 stays 0, magnitudes beyond float64 become inf (the ratio is exact)."""
    if q == 0:
        return 0.0
    lg = math.log(q.numerator) - math.log(q.denominator)
    return math.exp(lg) if lg < 709.0 else math.inf


def _sqrt_float(q: Fraction) -> float:
    return math.sqrt(_float(q)) if q > 0 else 0.0


def _ratio(E2: Fraction, S: Fraction) -> float:
    if S == 0:
        return math.inf
    return math.sqrt(_float(E2 / (S * S)))


def find_witness(f: ReLUNet, g: ReLUNet, A: np.ndarray | None, B: np.ndarray | None, defects: list[Defect],
                 F: FloatForm, G: FloatForm, tolerance: float, *, element: int | None = None, word: str = "",
                 seed: int = 0) -> tuple[Witness | None, Witness | None]:
    """(verified witness or None, best candidate) among candidates built from the worst defects.

    A verified witness has an exact error above ``tolerance`` times its per-neuron scale. The best
    candidate (largest ratio) is returned either way, so an undecided verdict can show how close it came.
    """
    rng = np.random.default_rng(seed)
    ev = WitnessEvaluator(f, g, A, B)
    tol = Fraction(tolerance)
    best: Witness | None = None
    tried = 0
    for defect in defects[:4]:
        for kind, pts, coef in _candidates(defect, F, G, A, rng):
            if tried >= MAX_CANDIDATES:
                break
            tried += 1
            if not np.all(np.isfinite(pts)):
                continue
            E2, S = ev(pts, coef, tol)
            if E2 == 0:
                continue
            w = Witness(kind, pts, coef, _sqrt_float(E2), _float(S), tolerance, element, word, A, B,
                        ratio=_ratio(E2, S))
            if E2 > (tol * S) ** 2:
                return w, w
            if best is None or w.ratio > best.ratio:
                best = w
    return None, best
