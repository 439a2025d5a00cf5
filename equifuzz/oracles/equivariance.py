"""Equivariance and equivalence oracles.

For a :class:`ReLUNet` the verdict is exact (T1): for each generator g the difference network
x -> f(rho_in(g) x) - rho_out(g) f(x) must have a zero canonical form. Over rationals (Fraction weights
and rational representation matrices) no floating point is involved. A torch module whose function is
exactly what its weights say (``nn.Sequential(nn.Linear, nn.ReLU, nn.Linear)``, see
:func:`equifuzz.nets.validation.torch_relu_net`) is read and decided the same way, for all inputs, and the
verdict says so. Its weights are read exactly whatever their dtype; a float32 (or float16, bfloat16)
module computes in that precision, so it is decided with the tolerance semantics at tolerance 1e-4 (the
sampled check's float32 default) unless ``semantics`` or ``tol`` say otherwise: the exact semantics would
count the round-off of a float32 construction (a float32 group average) as a defect. Any other callable
gets a sampled check over all generators and random long words, with a scale-aware relative error; its
verdict states that it certifies only the inputs it drew.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..certificate.checker import Witness, sci, sqrt_up
from ..errors.exceptions import GroupMismatchError, ShapeError
from ..errors.validation import check_callable, check_choice, check_function, check_int, check_tolerance
from ..groups.continuous import ContinuousGroup
from ..groups.finite import FiniteGroup
from ..groups.validation import same_group
from ..nets.canonical import output_exponent
from ..nets.exact import rational_matrix
from ..nets.relu_net import ReLUNet, float_views
from ..nets.validation import check_dims, check_net, torch_relu_net
from ..reps.continuous import ContinuousRepresentation
from ..reps.finite import Representation, check_reps
from .identity import SEMANTICS, Decision, Element, decide, decide_unless_not_holding
from .verdict import Verdict
from .witness import normalized_params, witness_evaluators

__all__ = [
    "EquivarianceVerdict",
    "EquivalenceVerdict",
    "check_equivariant",
    "equivalent",
    "rational_matrix",
    "DEFAULT_TOL",
]

DEFAULT_TOL = 1e-8
EPS = float(np.finfo(np.float64).eps)
LOW_PRECISION_TOL = 1e-4  # float32/float16/bfloat16 modules: the tolerance their own arithmetic can meet
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
    semantics: str = "tolerance"
    witness: Witness | None = field(default=None, repr=False)
    certificate: tuple[str, ...] = ()
    scope: str = ""  # what the verdict covers, when that is not "all inputs of this ReLUNet"
    input_error_exact: Fraction | None = field(default=None, repr=False, compare=False)  # beyond float64's range

    def __str__(self) -> str:
        head = {True: "equivariant", False: "NOT equivariant", None: "UNDECIDED whether equivariant"}[self.holds]
        s = (f"{head} [{self.method}, {self.semantics} semantics; max error {self.max_error:.3g} vs tolerance "
             f"{self.tolerance:.1g}; {self.n_elements} elements")
        if self.n_inputs:
            s += f", {self.n_inputs} inputs"
        s += "]"
        if self.holds is None:
            s += f"\n  element {self.word}: {self.reason}"
        elif self.holds and self.reason:
            s += f"\n  {self.reason}"
        if self.holds is False:
            s += f"\n  worst element: {self.word} (element {self.element})"
            if self.input is not None:
                gap = (f"{self.input_error:.6g}" if self.input_error_exact is None
                       else sci(sqrt_up(self.input_error_exact), 6))
                s += (f"\n  input x = {np.array2string(np.asarray(self.input, float), precision=6)}: "
                      f"||f(g x) - g f(x)|| = {gap}")
            if self.reason:
                s += f"\n  {self.reason}"
            if self.witness is not None:
                s += f"\n  {self.witness.describe()}"
        if self.scope:
            s += f"\n  {self.scope}"
        return s


@dataclass(frozen=True)
class EquivalenceVerdict(Verdict):
    """Whether two networks compute the same function (their canonical forms agree)."""

    max_difference: float
    tolerance: float
    method: str
    reason: str = ""
    semantics: str = "tolerance"
    witness: Witness | None = field(default=None, repr=False)
    scope: str = ""  # what was read, when a network came from a torch module

    def __str__(self) -> str:
        head = {True: "equivalent", False: "NOT equivalent", None: "UNDECIDED whether equivalent"}[self.holds]
        s = (f"{head} [{self.method}, {self.semantics} semantics; max difference {self.max_difference:.3g} vs "
             f"tolerance {self.tolerance:.1g}]")
        s += f"\n  {self.reason}" if self.reason else ""
        s += f"\n  {self.witness.describe()}" if self.witness is not None else ""
        return s + (f"\n  {self.scope}" if self.scope else "")


def _unit_roundoff(dtype: str) -> float:
    """The unit round-off of a torch floating dtype's arithmetic (float64's for any other name)."""
    import torch

    t = getattr(torch, dtype, None)
    return float(torch.finfo(t).eps) if isinstance(t, torch.dtype) and t.is_floating_point else EPS


def read_module(f: Any) -> tuple[ReLUNet, str, str] | None:
    """(network, dtype, what was read) for a torch module the canonical form can decide; None otherwise."""
    read = torch_relu_net(f)
    if read is None:
        return None
    net, dtype = read
    return net, dtype, (f"decided for all inputs on the function of the torch module's {dtype} weights, read "
                        f"exactly (nn.Sequential(Linear, ReLU, Linear), width {net.width})")


# ---------------------------------------------------------------------------------------------


def _check_pair(rho_in: AnyRep, rho_out: AnyRep) -> None:
    if isinstance(rho_in, Representation) != isinstance(rho_out, Representation):
        raise GroupMismatchError("rho_in and rho_out must both be finite-group or both continuous-group "
                                 "representations")
    if isinstance(rho_in, Representation) and isinstance(rho_out, Representation):
        if not same_group(rho_in.group, rho_out.group):
            raise GroupMismatchError(f"rho_in is a representation of {rho_in.group.name} but rho_out of "
                                     f"{rho_out.group.name}: they must share one group")
    elif not same_group(rho_in.group, rho_out.group):
        raise GroupMismatchError(f"rho_in acts of {rho_in.group} but rho_out of {rho_out.group}")


def _check_net(net: ReLUNet, rho_in: AnyRep, rho_out: AnyRep) -> None:
    _check_pair(rho_in, rho_out)
    if net.d != rho_in.dim:
        raise ShapeError(f"the network takes inputs of dimension {net.d} but rho_in has dimension {rho_in.dim}")
    if net.p != rho_out.dim:
        raise ShapeError(f"the network has {net.p} outputs but rho_out has dimension {rho_out.dim}")


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
    semantics: str = "auto",
) -> EquivarianceVerdict:
    """Decide whether f is equivariant: exactly for a ReLUNet (T1) or a torch module it can read (see the
    module docstring), by sampling for any other callable.

    ``method``: ``"auto"`` (canonical for a ReLUNet or a readable torch module over finite groups, exact
    when the weights are Fractions and the generator matrices rational), ``"canonical"``, ``"exact"`` or
    ``"sampled"``.
    """
    check_reps(rho_in, rho_out, continuous_ok=True)
    method = check_choice("method", method, ("auto", "canonical", "exact", "sampled"))
    tol = check_tolerance("tol", tol, allow_none=True)
    n_inputs = check_int("n_inputs", n_inputs, min=1, max=10**6, too_large="sample at most 10^6 inputs per call")
    n_words = check_int("n_words", n_words, min=0, max=10**5, too_large="draw at most 10^5 words per call")
    seed = check_int("seed", seed, min=0)
    scope = ""
    eps = EPS
    if not isinstance(f, ReLUNet) and method != "sampled" and isinstance(rho_in, Representation):
        read = read_module(f)
        if read is not None:
            f, dtype, scope = read
            eps = _unit_roundoff(dtype)
            if dtype != "float64" and semantics == "auto" and method != "exact":
                semantics = "tolerance"
                tol = LOW_PRECISION_TOL if tol is None else tol
                scope += (f", with the tolerance semantics at tolerance {tol:g} and {dtype} round-off because the "
                          f"module computes in {dtype}")
    if method in ("canonical", "exact") and not isinstance(f, ReLUNet):
        f = check_net("f", f)  # these methods need a ReLUNet: a torch Sequential(Linear, ReLU, Linear) converts
    if isinstance(f, ReLUNet):
        check_dims("the network", f.d, f.p, rho_in, rho_out)
    else:
        check_callable("f", f)
        check_function("f", as_numpy_function(f)[0], np.random.default_rng(seed).standard_normal((3, rho_in.dim)),
                       rho_out.dim)
    semantics = check_choice("semantics", semantics, SEMANTICS)
    if method == "exact":
        semantics = "exact"
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
        v = canonical_verdict(f, rho_in, rho_out, tol, semantics=semantics, seed=seed, eps=eps)  # type: ignore[arg-type]
        assert v is not None
        return dataclasses.replace(v, scope=scope) if scope else v
    v = _check_sampled(f, rho_in, rho_out, tol, n_inputs, n_words, seed)
    if v.n_inputs:
        v = dataclasses.replace(v, scope=(
            f"sampled: certifies only the {v.n_inputs} inputs drawn and their images under the {v.n_elements} "
            "group elements tried, not f elsewhere"))
    return v


# verdicts per network object (its weights are read-only) and representation objects (their matrices are
# read-only): the report minimizer, realizability and the campaign ask about the same network several times
_VERDICTS: weakref.WeakKeyDictionary[ReLUNet, dict[tuple[Any, ...], tuple[Any, Any, EquivarianceVerdict]]] = \
    weakref.WeakKeyDictionary()


def canonical_verdict(net: ReLUNet, rho_in: Representation, rho_out: Representation, tol: float | None = None,
                      *, semantics: str = "auto", seed: int = 0, eps: float = EPS, early: bool = False
                      ) -> EquivarianceVerdict | None:
    """The canonical verdict of :func:`check_equivariant` for arguments it has validated (a ReLUNet, finite-group
    representations of its dimensions, a float or None tolerance, a known ``semantics``): no validation here.

    Kept per network object and representation objects, so asking again costs a look-up. ``early=True`` returns
    None, without building witnesses, as soon as an element is known not to hold (the verdict would be "fails" or
    "undecided"): for callers that only need whether f is equivariant; a verdict it returns is the full one."""
    key = (id(rho_in), id(rho_out), DEFAULT_TOL if tol is None else float(tol), semantics, seed, eps)
    try:
        mine = _VERDICTS.setdefault(net, {})
    except TypeError:  # pragma: no cover - a ReLUNet is weakly referenceable
        mine = {}
    hit = mine.get(key)
    if hit is not None and hit[0] is rho_in and hit[1] is rho_out:
        return hit[2]
    v = _check_canonical(net, rho_in, rho_out, tol, semantics=semantics, seed=seed, eps=eps, early=early)
    if v is not None:
        mine[key] = (rho_in, rho_out, v)  # the representations are kept alive with the entry: their ids stay theirs
    return v


def _check_canonical(net: ReLUNet, rho_in: Representation, rho_out: Representation, tol: float | None,
                     *, semantics: str, seed: int, eps: float = EPS, early: bool = False
                     ) -> EquivarianceVerdict | None:
    G = rho_in.group
    gens = [g for g in dict.fromkeys(G.generators) if g != 0]
    if semantics == "exact":
        for g in gens:
            if rational_matrix(rho_in(g)) is None or rational_matrix(rho_out(g)) is None:
                raise ShapeError(f"exact mode needs rational representation matrices; rho({G.word_str(g)}) "
                                 "is not rational")
    tol_ = 0.0 if net.exact or semantics == "exact" else (DEFAULT_TOL if tol is None else float(tol))
    elements = [Element(g, G.word_str(g), rho_in(g), rho_out(g)) for g in gens]
    if not elements:  # trivial group: nothing to check
        sem = "tolerance" if semantics == "tolerance" and not net.exact else "exact"
        return EquivarianceVerdict(True, 0.0, tol_, "canonical-float64" if sem == "tolerance" else "canonical-exact",
                                   n_elements=0, semantics=sem)
    if early:
        found = decide_unless_not_holding(net, net, elements, tol_, semantics=semantics, seed=seed, eps=eps)
        return None if found is None else _verdict(found, net, len(gens), tol_)
    decision = decide(net, net, elements, tol_, semantics=semantics, seed=seed, eps=eps)
    return _verdict(decision, net, len(gens), tol_)


def _verdict(decision: Decision, net: ReLUNet, n_elements: int, tol: float) -> EquivarianceVerdict:
    method = "canonical-exact" if decision.semantics == "exact" else "canonical-float64"
    residuals = {o.element.word: o.error for o in decision.outcomes}
    cert = tuple(f"{o.element.word}: {o.semantics}" for o in decision.outcomes if o.status == "holds")
    worst = decision.worst
    if worst is None:  # trivial group: nothing to check
        return EquivarianceVerdict(True, 0.0, tol, method, n_elements=0, semantics="exact")
    w = worst.witness if worst.status == "fails" else None
    x, xerr, xexact = (None, 0.0, None)
    if w is not None:
        x, xerr, xexact = _worst_point(net, w)
    reason = worst.note
    ds = worst.defects or worst.exact_defects
    if decision.status == "fails" and ds:
        reason = ds[0].describe() + (f"; {worst.note}" if worst.note else "")
    return EquivarianceVerdict(
        decision.holds, worst.error, max(worst.tolerance, tol) if decision.semantics != "exact" else tol, method,
        element=worst.element.element, word=worst.element.word, input=x, input_error=xerr, reason=reason,
        residuals=residuals, n_elements=n_elements, dtype="fraction" if net.exact else "float64",
        semantics=decision.semantics, witness=w, certificate=cert, input_error_exact=xexact,
    )


def _worst_point(net: ReLUNet, w: Witness) -> tuple[np.ndarray, float, Fraction | None]:
    """An input where ||f(A x) - B f(x)|| is large against ||f(A x)|| + ||B f(x)||, for display: the witness
    points, and points further out along the witness's direction (a defect between nearly coincident
    hyperplanes shows little at the witness points themselves). Float64 evaluation."""
    A = np.eye(net.d) if w.A is None else np.asarray(w.A, dtype=np.float64)
    B = np.eye(net.p) if w.B is None else np.asarray(w.B, dtype=np.float64)
    pts = [np.asarray(x, dtype=np.float64) for x in w.points]
    if len(pts) >= 2:
        x0, step = pts[len(pts) // 2], pts[-1] - pts[0]
        n = step / max(float(np.linalg.norm(step)), 1e-300)
        r = 1.0 + float(np.linalg.norm(x0))
        pts += [x0 + s * r * n for s in (-10.0, -1.0, 1.0, 10.0)]
        # and along the axes: a defect in one entry of w moves the kink off its orbit's common normal
        pts += [x0 + s * r * e for e in np.eye(net.d)[:16] for s in (-1.0, 1.0)]
    X = np.stack(pts)
    with np.errstate(all="ignore"):
        try:
            F = net.to_float()
            fa, fb = np.atleast_2d(F(X @ A.T)), np.atleast_2d(F(X)) @ B.T
            finite = bool(np.all(np.isfinite(fa)) and np.all(np.isfinite(fb)))
        except OverflowError:  # Fraction weights beyond float64's range
            finite = False
        if not finite:  # weights or points beyond float64's range: the same function, outputs over 2^shift
            W1, b1, W2, b2 = float_views(net)[0]
            W1, b1, W2, b2 = normalized_params(W1, b1, W2, b2, output_exponent((W1, b1, W2, b2)))
            Fn = ReLUNet(W1, b1, W2, b2)
            fa, fb = np.atleast_2d(Fn(X @ A.T)), np.atleast_2d(Fn(X)) @ B.T
        gap = np.nan_to_num(np.linalg.norm(fa - fb, axis=1), nan=0.0)
        rel = gap / np.maximum(np.linalg.norm(fa, axis=1) + np.linalg.norm(fb, axis=1), 1e-300)
    # the largest relative gap among points whose gap is not round-off next to the largest one
    visible = gap >= 1e-3 * float(gap.max(initial=0.0))
    i = int(np.argmax(np.where(visible & (gap > 0) & np.isfinite(rel), rel, -1.0)))
    if finite:
        return X[i], float(gap[i]), None
    # the gap at that point exactly: its square, and a float for display (saturating beyond float64's range)
    ev, _ = witness_evaluators(net, net, w.A, w.B)
    E2 = ev.error2(X[i][None], (1,))
    return X[i], Witness.from_exact("constant", X[i][None], (1,), E2, Fraction(1), 0.0).error, E2


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
        return [(G.word_str(g), g, rho_in(g), rho_out(g)) for g in G.random_elements(n_words, rng)]
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
    elems = _elements(rho_in, rho_out, n_words, rng)
    nonfinite = _nonfinite(F, X, fx, elems, tol, dtype)
    if nonfinite is not None:
        return nonfinite
    # where f vanishes on an open set (cancelling or dead neurons) both sides are round-off; measure the
    # error there against the typical size of f at the same input scale and at unit scale (which bounds
    # the constant terms whose round-off survives at small inputs), not against the round-off itself
    batch = np.repeat([0, 1, 2], [n_inputs, n_side, n_side])
    fnorm = np.linalg.norm(fx, axis=1)
    floor = np.array([fnorm[batch == k].mean() for k in range(3)])[batch] + fnorm[:n_inputs].mean()
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
        residuals=residuals, n_elements=len(elems), n_inputs=X.shape[0], dtype=dtype, semantics="sampled",
    )


def _nonfinite(F: Callable[[np.ndarray], np.ndarray], X: np.ndarray, fx: np.ndarray,
               elems: list[tuple[str, int | None, np.ndarray, np.ndarray]], tol: float, dtype: str
               ) -> EquivarianceVerdict | None:
    """A failing verdict when f returns NaN or inf at an input or at its image under an element: a
    function that is not finite is never equivariant by default."""
    bad = ~np.all(np.isfinite(fx), axis=1)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        return EquivarianceVerdict(False, np.inf, float(tol), "sampled-" + dtype, element=None, word="identity",
                                   input=X[i], input_error=np.inf, reason=f"f returned {fx[i]} (NaN or inf) at x",
                                   n_elements=len(elems), n_inputs=X.shape[0], dtype=dtype, semantics="sampled")
    for name, g, A, _ in elems:
        fgx = np.atleast_2d(F(X @ A.T))
        bad = ~np.all(np.isfinite(fgx), axis=1)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            return EquivarianceVerdict(False, np.inf, float(tol), "sampled-" + dtype, element=g, word=name,
                                       input=X[i], input_error=np.inf,
                                       reason=f"f(g x) = {fgx[i]} is NaN or inf while f(x) is finite",
                                       n_elements=len(elems), n_inputs=X.shape[0], dtype=dtype, semantics="sampled")
    return None


# -- equivalence -------------------------------------------------------------------------------


def equivalent(net1: ReLUNet, net2: ReLUNet, *, tol: float | None = None, seed: int = 0,
               semantics: str = "auto") -> EquivalenceVerdict:
    """Whether two networks compute the same function on R^d (their canonical data agree): exactly for
    Fraction weights, else with the tolerance semantics of :mod:`equifuzz.oracles.identity` (``tol``
    default 1e-8). A torch module it can read is decided on its weights, read exactly, and the verdict says
    so; a float32 (float16, bfloat16) one with the tolerance semantics at 1e-4 unless told otherwise."""
    scopes: list[str] = []
    tol = check_tolerance("tol", tol, allow_none=True)  # a float from here on (a Fraction or int is accepted)
    low: list[str] = []
    eps = EPS
    nets = []
    for name, n in (("net1", net1), ("net2", net2)):
        read = None if isinstance(n, ReLUNet) else read_module(n)
        if read is not None:
            scopes.append(f"{name}: {read[2]}")
            if read[1] != "float64":
                low.append(read[1])
                eps = max(eps, _unit_roundoff(read[1]))
            nets.append(read[0])
        else:
            nets.append(check_net(name, n))
    net1, net2 = nets
    if low and semantics == "auto":
        semantics = "tolerance"
        tol = LOW_PRECISION_TOL if tol is None else tol
        scopes.append(f"tolerance semantics at tolerance {tol:g} because a module computes in {low[0]}")
    tol = check_tolerance("tol", DEFAULT_TOL if tol is None else tol)
    seed = check_int("seed", seed, min=0)
    if net1.d != net2.d or net1.p != net2.p:
        raise ShapeError(f"networks map R^{net1.d} -> R^{net1.p} and R^{net2.d} -> R^{net2.p}: not comparable")
    semantics = check_choice("semantics", semantics, SEMANTICS)
    return _equivalent(net1, net2, float(tol), semantics, seed=seed, eps=eps, scope="; ".join(scopes))


def _equivalent(net1: ReLUNet, net2: ReLUNet, tol: float, semantics: str = "auto", *, seed: int = 0,
                eps: float = EPS, scope: str = "") -> EquivalenceVerdict:
    """:func:`equivalent` for arguments it has validated (two ReLUNets of the same dimensions, a float
    tolerance, a known ``semantics``): no validation here."""
    tol_ = 0.0 if (net1.exact or net2.exact or semantics == "exact") else float(tol)
    decision = decide(net1, net2, [Element(None, "identity", None, None)], tol_, semantics=semantics, seed=seed,
                      eps=eps)
    o = decision.outcomes[0]
    ds = o.defects or o.exact_defects
    reason = o.note if decision.status != "fails" or not ds else ds[0].describe()
    method = "canonical-exact" if decision.semantics == "exact" else "canonical-float64"
    return EquivalenceVerdict(decision.holds, o.error, tol_, method, reason=reason, semantics=decision.semantics,
                              witness=o.witness, scope=scope)
