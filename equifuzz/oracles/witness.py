"""Witnesses of a failed identity f(A x) = B g(x), found from the defects of the canonical comparison and
verified by the independent exact checker (:mod:`equifuzz.certificate`).

A kink defect on a hyperplane H gives the second difference at x0 - t n, x0, x0 + t n with x0 on H and
t half the distance to the next hyperplane along n; a linear defect M gives a first difference along
M's top right singular vector (and along that vector with the heaviest normals projected out, so that
large neurons do not move); a constant defect gives the value at 0.

The candidates of wide networks (more than ``SCREEN_WIDTH`` neurons in f and g together) are screened
in float64 first (every neuron rescaled by a power of two, as the float canonical form is, so no value
overflows): a candidate whose estimated error, plus a bound on the estimate's round-off, stays below 0.8
times the tolerance times its estimated per-neuron scale is taken not to verify and is not evaluated exactly.
The others are evaluated exactly, in their order (for the exact claim, E > 0, those whose float error
clearly exceeds its round-off first), until one verifies; only the exact evaluation decides. Exact
evaluations are kept per (f, g, A, B): the second search of :func:`~equifuzz.oracles.identity.decide` (the
exact claim, E > 0, after the tolerance claim) takes a combination the first one already evaluated with
E > 0. Narrower networks are evaluated exactly in order.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from ..certificate.checker import Witness, WitnessEvaluator
from ..nets.canonical import FloatForm, output_exponent
from ..nets.relu_net import ReLUNet, float_views
from .comparison import Defect

__all__ = ["find_witness", "witness_evaluators"]

MAX_CANDIDATES = 16
SCREEN_WIDTH = 256  # networks of at most this many neurons (f and g together) are evaluated without screening


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


EPS = float(np.finfo(np.float64).eps)


def normalized_params(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, out_shift: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The same function with every neuron's (w, b) scaled by a power of two to max-entry in [1, 2) (its v
    by the inverse), and the outputs by 2^-out_shift: exact, except for parts below 2^-1074 of the largest."""
    amax = np.max(np.abs(np.concatenate([W1, b1[:, None]], axis=1)), axis=1) if W1.size else np.zeros(W1.shape[0])
    _, ex = np.frexp(np.where(amax > 0, amax, 1.0))
    ex = ex - 1
    with np.errstate(over="ignore", under="ignore"):
        return (np.ldexp(W1, -ex[:, None]), np.ldexp(b1, -ex), np.ldexp(W2, ex[None, :] - out_shift),
                np.ldexp(b2, -out_shift))


class _FloatScreen:
    """float64 estimates of (E, S, round-off of E) for candidates, on per-neuron normalized weights."""

    def __init__(self, f: ReLUNet, g: ReLUNet, A: np.ndarray | None, B: np.ndarray | None) -> None:
        fp, gp = float_views(f, g) if g is not f else float_views(f) * 2  # scale-free for Fraction weights too
        shift = output_exponent(fp, gp)
        self.A = None if A is None else np.asarray(A, dtype=np.float64)
        self.B = None if B is None else np.asarray(B, dtype=np.float64)
        self.nets = []
        for (W1, b1, W2, b2), B_ in ((fp, None), (gp, self.B)):
            W1, b1, W2, b2 = normalized_params(W1, b1, W2, b2, shift)
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                V = W2 if B_ is None else B_ @ W2
                e = b2 if B_ is None else B_ @ b2
                self.nets.append((W1, b1, V, e, np.linalg.norm(W1, axis=1), np.abs(b1), np.linalg.norm(V, axis=0),
                                  np.linalg.norm(e)))

    def __call__(self, pts: np.ndarray, coef: tuple[int, ...], tol: float) -> tuple[float, float, float]:
        c = np.asarray(coef, dtype=np.float64)
        out, S, noise = 0.0, 0.0, 0.0
        sign = 1.0
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            for (W1, b1, V, e, wn, bn, vn, en), X in zip(self.nets, (pts if self.A is None else pts @ self.A.T, pts),
                                                         strict=True):
                P = X @ W1.T + b1
                xn = np.linalg.norm(X, axis=1)
                T = xn[:, None] * wn[None, :] + bn[None, :]
                # elementwise sums, not BLAS: a threaded dot of length 10 000 costs milliseconds on a busy machine
                out = out + sign * ((V * (c[:, None] * np.maximum(P, 0.0)).sum(axis=0)).sum(axis=1) + c.sum() * e)
                robust = np.all(np.abs(P) > tol * T, axis=0)
                affine = robust & np.all(P > 0, axis=0)
                other = ~(robust & (affine | np.all(P < 0, axis=0)))
                xs = float(np.sqrt(((c[:, None] * X).sum(axis=0) ** 2).sum()))
                cT = (np.abs(c)[:, None] * T).sum(axis=0)
                s = np.where(affine, wn * xs + bn * abs(c.sum()), 0.0) + np.where(other, cT, 0.0)
                S += 2.0 * float((vn * s).sum()) + 2.0 * abs(float(c.sum())) * float(en)
                noise += float((vn * cT).sum()) + abs(float(c.sum())) * float(en)
                sign = -1.0
            E = float(np.linalg.norm(out))
        d = pts.shape[1]
        return E, S, 8.0 * EPS * (d + len(coef) + 4) * noise


_EVALUATORS: list[tuple[Any, Any, bytes, bytes, WitnessEvaluator, dict[str, Any]]] = []


def _key(M: np.ndarray | None) -> bytes:
    if M is None:
        return b""
    a = np.asarray(M)
    return repr((a.shape, a.tolist())).encode() if a.dtype == object else a.astype(np.float64).tobytes()


def witness_evaluators(f: ReLUNet, g: ReLUNet, A: np.ndarray | None, B: np.ndarray | None
                       ) -> tuple[WitnessEvaluator, Callable[[], _FloatScreen]]:
    """The exact evaluator and (a maker of) the float screen for (f, g, A, B), kept for the last few identities
    decided; the screen is built on first use (narrow networks never need it)."""
    ka, kb = _key(A), _key(B)
    hit = next((e for e in _EVALUATORS if e[0]() is f and e[1]() is g and e[2] == ka and e[3] == kb), None)
    if hit is None:
        hit = (weakref.ref(f), weakref.ref(g), ka, kb, WitnessEvaluator(f, g, A, B), {"screen": [], "nonzero": []})
        _EVALUATORS.insert(0, hit)
        del _EVALUATORS[8:]
    ev, sc = hit[4], hit[5]["screen"]

    def screen() -> _FloatScreen:
        if not sc:
            sc.append(_FloatScreen(f, g, A, B))
        return sc[0]
    screen.nonzero = hit[5]["nonzero"]  # type: ignore[attr-defined]  # wide candidates evaluated with E > 0
    return ev, screen


def find_witness(f: ReLUNet, g: ReLUNet, A: np.ndarray | None, B: np.ndarray | None, defects: list[Defect],
                 F: FloatForm, G: FloatForm, tolerance: float, *, element: int | None = None, word: str = "",
                 seed: int = 0) -> tuple[Witness | None, Witness | None]:
    """(verified witness or None, best candidate) among candidates built from the worst defects.

    A verified witness has an exact error above ``tolerance`` times its per-neuron scale. The best
    candidate (largest ratio among those evaluated exactly) is returned either way, so an undecided verdict
    can show how close it came.
    """
    rng = np.random.default_rng(seed)
    ev, screen = witness_evaluators(f, g, A, B)
    tol = Fraction(tolerance)

    def generate() -> Iterator[tuple[str, np.ndarray, tuple[int, ...]]]:
        n = 0
        for defect in defects[:4]:
            for cand in _candidates(defect, F, G, A, rng):
                if n >= MAX_CANDIDATES:
                    return
                n += 1
                if np.all(np.isfinite(cand[1])):
                    yield cand

    def witness(cand: tuple[str, np.ndarray, tuple[int, ...]], E2: Fraction) -> Witness:
        kind, pts, coef = cand
        return Witness.from_exact(kind, pts, coef, E2, ev.scale(pts, coef, tol), tolerance, element, word, A, B)

    best: Witness | None = None
    if f.width + g.width <= SCREEN_WIDTH:
        # exact evaluation costs about what the screen does: every candidate, in order, built as needed
        for cand in generate():
            E2 = ev.error2(cand[1], cand[2])
            if E2 == 0:
                continue
            w = witness(cand, E2)
            if E2 > (tol * w.exact_scale) ** 2:  # type: ignore[operator]  # for tol = 0: E > 0
                return w, w
            if best is None or w.ratio > best.ratio:
                best = w
        return None, best
    nonzero: list[tuple[tuple[str, np.ndarray, tuple[int, ...]], Fraction]] = screen.nonzero  # type: ignore[attr-defined]
    if tol == 0 and nonzero:
        # a combination already evaluated exactly (for the tolerance claim) with E > 0 proves the exact claim
        w = witness(*nonzero[0])
        return w, w
    cands = list(generate())
    # float screen: skip what cannot verify; remember the most promising for the report
    hopeless, est, clear = [], [], []
    for _, pts, coef in cands:
        E, S, noise = screen()(pts, coef, tolerance)
        ok = np.isfinite(E) and np.isfinite(S) and np.isfinite(noise)
        hopeless.append(bool(ok and tolerance > 0 and E + noise < 0.8 * tolerance * S))
        est.append(E / S if ok and S > 0 else (math.inf if ok and E > 0 else 0.0))
        clear.append(bool(ok and E > 4 * noise))
    order = list(range(len(cands)))
    if tol == 0:  # any E > 0 verifies: first the candidates whose float error clearly exceeds its round-off
        order.sort(key=lambda j: not clear[j])
    for j in order:
        if hopeless[j]:
            continue
        E2 = ev.error2(cands[j][1], cands[j][2])
        if E2 == 0:
            continue
        nonzero.append((cands[j], E2))
        w = witness(cands[j], E2)
        if E2 > (tol * w.exact_scale) ** 2:  # type: ignore[operator]
            return w, w
        if best is None or w.ratio > best.ratio:
            best = w
    if best is None and cands:
        # nothing worth an exact evaluation verified: report the most promising candidate, evaluated exactly
        j = max(range(len(cands)), key=lambda j: est[j])
        E2 = ev.error2(cands[j][1], cands[j][2])
        if E2 != 0:
            nonzero.append((cands[j], E2))
            best = witness(cands[j], E2)
    return None, best
