"""Equivariance and equivalence oracles.

For a :class:`ReLUNet` the verdict is exact (T1): for each generator g the difference network
x -> f(rho_in(g) x) - rho_out(g) f(x) must have a zero canonical form. Over rationals (Fraction weights
and rational representation matrices) no floating point is involved. Any other callable gets a sampled
check over all generators and random long words, with a scale-aware relative error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import GroupMismatchError, ShapeError
from ..groups import ContinuousGroup, FiniteGroup
from ..nets import CanonicalForm, ReLUNet
from ..reps import ContinuousRepresentation, Representation
from ..validation import (
    check_callable,
    check_choice,
    check_dims,
    check_function,
    check_int,
    check_net,
    check_reps,
    check_tolerance,
)
from .verdict import Verdict

__all__ = [
    "EquivarianceVerdict",
    "EquivalenceVerdict",
    "check_equivariant",
    "equivalent",
    "residual",
    "rational_matrix",
    "DEFAULT_TOL",
]

DEFAULT_TOL = 1e-8
_IDENTITY_TOL = 1e-6  # ||rho(g) - I|| below this is round-off of the identity, not a small rotation
AnyRep = Representation | ContinuousRepresentation


@dataclass(frozen=True)
class EquivarianceVerdict(Verdict):
    """Whether f(rho_in(g) x) = rho_out(g) f(x) for all g, x.

    ``max_error`` is the worst relative residual (canonical: residual of the difference network
    over the weight scale; sampled: ||f(gx) - g f(x)|| / (||f(x)|| + ||f(gx)|| + mean ||f|| over the
    inputs of the same scale and of unit scale), divided also by ||rho(g) - I||); ``element``/``word``
    name the worst group element, ``input`` an input where the two sides differ most among those
    tried, ``input_error`` the absolute difference there.
    """

    max_error: float
    tolerance: float
    method: str
    element: int | None = None
    word: str = ""
    input: np.ndarray | None = None
    input_error: float = 0.0
    reason: str = ""
    residuals: dict[str, float] = field(default_factory=dict)
    n_elements: int = 0
    n_inputs: int = 0
    dtype: str = "float64"

    def __str__(self) -> str:
        head = "equivariant" if self.holds else "NOT equivariant"
        s = (f"{head} [{self.method}; max error {self.max_error:.3g} vs tolerance {self.tolerance:.1g}; "
             f"{self.n_elements} elements")
        if self.n_inputs:
            s += f", {self.n_inputs} inputs"
        s += "]"
        if not self.holds:
            s += f"\n  worst element: {self.word} (element {self.element})"
            if self.input is not None:
                s += (f"\n  input x = {np.array2string(np.asarray(self.input, float), precision=6)}: "
                      f"||f(g x) - g f(x)|| = {self.input_error:.6g}")
            if self.reason:
                s += f"\n  {self.reason}"
        return s


@dataclass(frozen=True)
class EquivalenceVerdict(Verdict):
    """Whether two networks compute the same function (their canonical forms agree)."""

    max_difference: float
    tolerance: float
    method: str
    reason: str = ""

    def __str__(self) -> str:
        head = "equivalent" if self.holds else "NOT equivalent"
        s = f"{head} [{self.method}; max difference {self.max_difference:.3g} vs tolerance {self.tolerance:.1g}]"
        return s + (f"\n  {self.reason}" if self.reason and not self.holds else "")


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Residual:
    """How far a canonical form is from zero: relative sizes of kinks, linear part and constant."""

    kink: float
    linear: float
    constant: float
    form: CanonicalForm
    worst_hyperplane: int | None

    @property
    def error(self) -> float:
        return max(self.kink, self.linear, self.constant)

    def holds(self, tol: float) -> bool:
        if self.form.normalization == "projective":
            return self.error == 0.0
        return self.form.n_hyperplanes == 0 and self.error <= tol

    def reason(self) -> str:
        f = self.form
        if self.worst_hyperplane is not None and f.n_hyperplanes:
            k = self.worst_hyperplane
            n = np.asarray(f.normals[k], float)
            return (f"kink hyperplane n = {np.array2string(n, precision=6)}, beta = {float(f.offsets[k]):.6g} "
                    f"keeps channel residual {np.linalg.norm(np.asarray(f.channels[k], float)):.3g} "
                    f"({f.n_hyperplanes} hyperplane(s) do not match their images)")
        if self.linear >= self.constant:
            return f"linear parts differ: relative residual {self.linear:.3g}"
        return f"constants differ: relative residual {self.constant:.3g}"


def residual(D: ReLUNet, tol: float = DEFAULT_TOL, reference: float = 0.0) -> Residual:
    """Relative size of the canonical form of ``D`` (a network that should compute zero): kinks against
    the largest neuron, the linear part against the summed neuron sizes, the constant against those
    plus the output bias.

    ``reference`` floors the scale of the constant: D's output bias is only the
    difference of the biases of the networks D compares, so pass the sum of their norms.
    """
    form = D.canonical(tol)
    W1, b1, W2, b2 = D.float_params()
    per_neuron = np.sqrt((W1 ** 2).sum(1) + b1 ** 2) * np.sqrt((W2 ** 2).sum(0))
    total = max(float(per_neuron.sum()) + float(np.linalg.norm(b2)), float(reference), 1e-300)
    top = max(float(per_neuron.max()) if per_neuron.size else 0.0, 1e-300)
    ch = np.linalg.norm(np.asarray(form.channels, float), axis=1) if form.n_hyperplanes else np.zeros(0)
    kink = float(ch.max()) / top if ch.size else 0.0
    worst = int(np.argmax(ch)) if ch.size else None
    # the linear part comes from the neurons alone (relu(t) - relu(-t) = t): output biases do not scale it
    lin = float(np.linalg.norm(np.asarray(form.linear, float))) / (float(per_neuron.sum()) if per_neuron.sum() > 0
                                                                    else total)
    const = float(np.linalg.norm(np.asarray(form.constant, float))) / total
    return Residual(kink, lin, const, form, worst)


def rational_matrix(M: np.ndarray, max_denominator: int = 10**6) -> np.ndarray | None:
    """``M`` as a Fraction array when every entry is, to a few units in the last place of the matrix's
    largest entry, a fraction of denominator at most ``max_denominator``.

    The bound is relative to the float's own spacing, not absolute: sqrt(3)/2 lies within 1e-12 of
    fractions with denominators below 10^6, and treating such an approximation as exact would make
    the "exact" oracle check a matrix that is not a representation.
    """
    out = np.empty(M.shape, dtype=object)
    scale = float(np.max(np.abs(M))) if M.size else 0.0  # round-off of cos(pi/2) = 6e-17 is a zero
    for idx, x in np.ndenumerate(M):
        xf = float(x)
        q = Fraction(xf).limit_denominator(max_denominator)
        if abs(float(q) - xf) > 4 * float(np.spacing(max(abs(xf), scale))):
            return None
        out[idx] = q
    return out


def _check_pair(rho_in: AnyRep, rho_out: AnyRep) -> None:
    if isinstance(rho_in, Representation) != isinstance(rho_out, Representation):
        raise GroupMismatchError("rho_in and rho_out must both be finite-group or both continuous-group "
                                 "representations")
    if isinstance(rho_in, Representation) and isinstance(rho_out, Representation):
        g1, g2 = rho_in.group, rho_out.group
        if g1 is not g2 and not (g1.order == g2.order and np.array_equal(g1.table, g2.table)):
            raise GroupMismatchError(
                f"rho_in is a representation of {g1.name} but rho_out of {g2.name}: they must share one group")
    elif rho_in.group != rho_out.group:
        raise GroupMismatchError(f"rho_in acts of {rho_in.group} but rho_out of {rho_out.group}")


def _check_net(net: ReLUNet, rho_in: AnyRep, rho_out: AnyRep) -> None:
    _check_pair(rho_in, rho_out)
    if net.d != rho_in.dim:
        raise ShapeError(f"the network takes inputs of dimension {net.d} but rho_in has dimension {rho_in.dim}")
    if net.p != rho_out.dim:
        raise ShapeError(f"the network has {net.p} outputs but rho_out has dimension {rho_out.dim}")


def _difference(net: ReLUNet, A: np.ndarray, B: np.ndarray) -> ReLUNet:
    """x -> f(A x) - B f(x)."""
    d, p = A.shape[0], B.shape[0]
    if net.exact:
        Id = np.array([[Fraction(int(i == j)) for j in range(d)] for i in range(d)], dtype=object)
        Ip = np.array([[Fraction(int(i == j)) for j in range(p)] for i in range(p)], dtype=object)
    else:
        Id, Ip = np.eye(d), np.eye(p)
    return net.transformed(A, Ip) - net.transformed(Id, B)


def _witness_input(D: ReLUNet, res: Residual, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """An input where the difference network is far from zero, among structured candidates."""
    f = res.form
    cands = [rng.standard_normal((16, D.d)) * s for s in (1.0, 10.0)]
    if f.n_hyperplanes:
        k = res.worst_hyperplane if res.worst_hyperplane is not None else 0
        n = np.asarray(f.normals[k], float)
        x0 = f.points_on(k)
        t = (1.0 + np.linalg.norm(x0)) * np.array([-1.0, -0.5, -0.1, 0.1, 0.5, 1.0])
        cands.append(x0[None] + t[:, None] * n[None] / np.linalg.norm(n))
    X = np.concatenate(cands)
    vals = np.linalg.norm(np.atleast_2d(D.to_float()(X)), axis=1)
    i = int(np.argmax(vals))
    return X[i], float(vals[i])


def check_equivariant(
    f: ReLUNet | Callable[..., Any],
    rho_in: AnyRep,
    rho_out: AnyRep,
    *,
    tol: float | None = None,
    method: str = "auto",
    n_inputs: int = 256,
    n_words: int = 16,
    seed: int = 0,
) -> EquivarianceVerdict:
    """Decide whether f is equivariant: exactly for a ReLUNet (T1), by sampling for any callable.

    ``method``: ``"auto"`` (canonical for a ReLUNet over finite groups, exact when the weights are
    Fractions and the generator matrices rational), ``"canonical"``, ``"exact"`` or ``"sampled"``.
    """
    check_reps(rho_in, rho_out, continuous_ok=True)
    method = check_choice("method", method, ("auto", "canonical", "exact", "sampled"))
    tol = check_tolerance("tol", tol, allow_none=True)
    n_inputs = check_int("n_inputs", n_inputs, min=1, max=10**6, too_large="sample at most 10^6 inputs per call")
    n_words = check_int("n_words", n_words, min=0, max=10**5, too_large="draw at most 10^5 words per call")
    seed = check_int("seed", seed, min=0)
    if method in ("canonical", "exact") and not isinstance(f, ReLUNet):
        f = check_net("f", f)  # these methods need a ReLUNet: a torch Sequential(Linear, ReLU, Linear) converts
    if isinstance(f, ReLUNet):
        check_dims("the network", f.d, f.p, rho_in, rho_out)
    else:
        check_callable("f", f)
        check_function("f", as_numpy_function(f)[0], np.random.default_rng(seed).standard_normal((3, rho_in.dim)),
                       rho_out.dim)
    _check_pair(rho_in, rho_out)
    is_net = isinstance(f, ReLUNet)
    if is_net:
        _check_net(f, rho_in, rho_out)  # type: ignore[arg-type]
    finite = isinstance(rho_in, Representation)
    if method == "auto":
        method = "canonical" if is_net and finite else "sampled"
    if method in ("canonical", "exact"):
        if not (is_net and finite):
            raise ShapeError("the canonical check needs a ReLUNet and finite-group representations")
        return _check_canonical(f, rho_in, rho_out, tol, exact=(method == "exact"), seed=seed)  # type: ignore[arg-type]
    return _check_sampled(f, rho_in, rho_out, tol, n_inputs, n_words, seed)


def _check_canonical(net: ReLUNet, rho_in: Representation, rho_out: Representation, tol: float | None,
                     *, exact: bool, seed: int) -> EquivarianceVerdict:
    G = rho_in.group
    gens = list(G.generators)
    mats: list[tuple[Any, Any]] = []
    use_exact = exact or net.exact
    if use_exact:
        for g in gens:
            A, B = rational_matrix(rho_in(g)), rational_matrix(rho_out(g))
            if A is None or B is None:
                if exact:
                    raise ShapeError(f"exact mode needs rational representation matrices; rho({G.word_str(g)}) "
                                     "is not rational")
                use_exact = False
                break
            mats.append((A, B))
    work = net.to_exact() if use_exact and not net.exact else (net if use_exact else net.to_float())
    if not use_exact:
        mats = [(rho_in(g), rho_out(g)) for g in gens]
    tol_ = 0.0 if use_exact else (DEFAULT_TOL if tol is None else float(tol))
    worst: tuple[float, int, Residual, ReLUNet] | None = None
    residuals: dict[str, float] = {}
    all_hold = True
    for g, (A, B) in zip(gens, mats, strict=True):
        D = _difference(work, A, B)
        b2 = np.asarray(work.b2, dtype=np.float64)
        res = residual(D, tol_ if tol_ else DEFAULT_TOL,
                       reference=float(np.linalg.norm(b2) + np.linalg.norm(np.asarray(B, dtype=np.float64) @ b2)))
        residuals[G.word_str(g)] = res.error
        ok = res.holds(tol_)
        all_hold &= ok
        key = (0 if ok else 1, res.error)
        if worst is None or key > (0 if worst[2].holds(tol_) else 1, worst[0]):
            worst = (res.error, g, res, D)
    method = "canonical-exact" if use_exact else "canonical-float64"
    if worst is None:  # trivial group: nothing to check
        return EquivarianceVerdict(True, 0.0, tol_, method, n_elements=0)
    err, g, res, D = worst
    x, xerr = (None, 0.0)
    reason = ""
    if not all_hold:
        x, xerr = _witness_input(D, res, np.random.default_rng(seed))
        reason = res.reason()
    return EquivarianceVerdict(
        all_hold, err, tol_, method, element=g, word=G.word_str(g), input=x, input_error=xerr,
        reason=reason, residuals=residuals, n_elements=len(gens),
        dtype="fraction" if use_exact else "float64",
    )


# -- sampled ---------------------------------------------------------------------------------


def as_numpy_function(f: Callable[..., Any]) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """Wrap f so that it maps a float64 (n, d) array to a float64 (n, p) array; also its dtype."""
    if isinstance(f, ReLUNet):
        return (lambda x: np.asarray(f.to_float()(x), dtype=np.float64)), "float64"
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None  # type: ignore[assignment]
    if torch is not None and isinstance(f, torch.nn.Module):
        p = next(iter(f.parameters()), None)
        dtype = p.dtype if p is not None else torch.float64
        device = p.device if p is not None else torch.device("cpu")

        def call(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                y = f(torch.as_tensor(x, dtype=dtype, device=device))
            return y.detach().to("cpu").double().numpy()

        return call, str(dtype).replace("torch.", "")

    def call_any(x: np.ndarray) -> np.ndarray:
        try:
            y = f(x)
        except (TypeError, AttributeError, RuntimeError):
            if torch is None:
                raise
            y = f(torch.as_tensor(x))
        if torch is not None and isinstance(y, torch.Tensor):
            return y.detach().to("cpu").double().numpy()
        return np.asarray(y, dtype=np.float64)

    return call_any, "float64"


def _elements(rho_in: AnyRep, rho_out: AnyRep, n_words: int, rng: np.random.Generator
              ) -> list[tuple[str, int | None, np.ndarray, np.ndarray]]:
    out: list[tuple[str, int | None, np.ndarray, np.ndarray]] = []
    if isinstance(rho_in, Representation) and isinstance(rho_out, Representation):
        G: FiniteGroup = rho_in.group
        chosen = list(dict.fromkeys(G.generators))
        for _ in range(n_words):
            if not G.generators:
                break
            word = rng.integers(0, len(G.generators), size=int(rng.integers(4, 33)))
            chosen.append(G.evaluate_word(word.tolist()))
        for g in dict.fromkeys(chosen):
            if g != 0:
                out.append((G.word_str(g), g, rho_in(g), rho_out(g)))
        return out
    assert isinstance(rho_in, ContinuousRepresentation) and isinstance(rho_out, ContinuousRepresentation)
    K: ContinuousGroup = rho_in.group
    cover = K.covering()
    for g in cover.generators:
        C = np.asarray(cover.labels[g])  # type: ignore[index]
        out.append((f"covering generator {cover.word_str(g)}", None, rho_in(C), rho_out(C)))
    for i, M in enumerate(K.sample(n_words, rng)):
        out.append((f"Haar sample {i}", None, rho_in(M), rho_out(M)))
    return out


def _check_sampled(f: Callable[..., Any], rho_in: AnyRep, rho_out: AnyRep, tol: float | None, n_inputs: int,
                   n_words: int, seed: int) -> EquivarianceVerdict:
    rng = np.random.default_rng(seed)
    F, dtype = as_numpy_function(f)
    if tol is None:
        tol = 1e-4 if dtype in ("float32", "float16", "bfloat16") else DEFAULT_TOL
    d = rho_in.dim
    base = rng.standard_normal((n_inputs, d))
    n_side = max(1, n_inputs // 8)
    X = np.concatenate([base, base[:n_side] * 1e-3, base[:n_side] * 1e3])
    fx = np.atleast_2d(F(X))
    if fx.shape != (X.shape[0], rho_out.dim):
        raise ShapeError(f"f maps {X.shape} inputs to an array of shape {fx.shape}; expected "
                         f"({X.shape[0]}, {rho_out.dim}) for rho_out of dimension {rho_out.dim}")
    # where f vanishes on an open set (cancelling or dead neurons) both sides are round-off; measure the
    # error there against the typical size of f at the same input scale and at unit scale (which bounds
    # the constant terms whose round-off survives at small inputs), not against the round-off itself
    batch = np.repeat([0, 1, 2], [n_inputs, n_side, n_side])
    fnorm = np.linalg.norm(fx, axis=1)
    floor = np.array([fnorm[batch == k].mean() for k in range(3)])[batch] + fnorm[:n_inputs].mean()
    elems = _elements(rho_in, rho_out, n_words, rng)
    worst: tuple[float, str, int | None, np.ndarray | None, float, float] = (-1.0, "", None, None, 0.0, 0.0)
    residuals: dict[str, float] = {}
    for name, g, A, B in elems:
        fgx = np.atleast_2d(F(X @ A.T))
        diff = np.linalg.norm(fgx - fx @ B.T, axis=1)
        denom = fnorm + np.linalg.norm(fgx, axis=1) + floor
        rel = np.where(diff == 0, 0.0, diff / np.maximum(denom, 1e-300))
        dist = max(np.linalg.norm(A - np.eye(A.shape[0]), 2), np.linalg.norm(B - np.eye(B.shape[0]), 2))
        # an element acting as the identity up to round-off is not "near the identity": dividing by its
        # round-off distance would blow round-off in f up into a spurious violation
        scaled = rel / dist if dist > _IDENTITY_TOL else rel
        i = int(np.argmax(scaled))
        residuals[name] = float(scaled[i])
        if scaled[i] > worst[0]:
            worst = (float(scaled[i]), name, g, X[i], float(diff[i]), float(rel[i]))
    err, name, g, x, xerr, rel_at = worst
    holds = err <= tol
    reason = "" if holds else (f"relative error {rel_at:.3g} at the worst input, {err:.3g} after dividing by "
                               "||rho(g) - I||")
    return EquivarianceVerdict(
        holds, max(err, 0.0), float(tol), "sampled-" + dtype, element=g, word=name,
        input=None if holds else x, input_error=xerr if not holds else 0.0, reason=reason,
        residuals=residuals, n_elements=len(elems), n_inputs=X.shape[0], dtype=dtype,
    )


# -- equivalence -------------------------------------------------------------------------------


def equivalent(net1: ReLUNet, net2: ReLUNet, *, tol: float = DEFAULT_TOL) -> EquivalenceVerdict:
    """Whether two networks compute the same function on R^d (canonical form of net1 - net2 is zero)."""
    net1, net2 = check_net("net1", net1), check_net("net2", net2)
    tol = check_tolerance("tol", tol)
    if net1.d != net2.d or net1.p != net2.p:
        raise ShapeError(f"networks map R^{net1.d} -> R^{net1.p} and R^{net2.d} -> R^{net2.p}: not comparable")
    D = net1 - net2
    res = residual(D, tol, reference=float(np.linalg.norm(np.asarray(net1.b2, dtype=np.float64))
                                           + np.linalg.norm(np.asarray(net2.b2, dtype=np.float64))))
    exact = D.exact
    holds = res.holds(0.0 if exact else tol)
    return EquivalenceVerdict(holds, res.error, 0.0 if exact else tol,
                              "canonical-exact" if exact else "canonical-float64",
                              reason="" if holds else res.reason())
