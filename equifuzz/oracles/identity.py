"""Decide f(A x) = B g(x) for a list of elements (A, B), with evidence: the certifying core shared by the
equivariance and equivalence oracles.

Semantics, one place (DESIGN.md, "Verdicts are certifying"):

* **exact**: a property of the given numbers (float64 weights are dyadic rationals, Fractions are
  themselves). Used whenever A and B are rational: the canonical data are compared in integer
  arithmetic. Fraction networks are judged by this alone.
* **tolerance**: for float64 weights, the identity holds up to ``tol`` per canonical datum: hyperplanes
  within ``tol`` as unit (n, beta), each channel within ``tol`` of the summed sizes of the neurons on its
  hyperplane, the linear part and constant within ``tol`` of their own size (plus the round-off floor
  of float sums); the round-off eps * cond(A) cond(B) of the matrices is added to ``tol``. Matrices whose
  round-off exceeds 1e-6 are refused when irrational; when rational the exact numbers decide, or the verdict
  is undecided.

For float weights the verdict is: holds (exact) when the exact data agree; holds (tolerance) when they do
not but every datum agrees to tolerance and no exact witness exceeds it; fails only with a witness whose
exactly computed error exceeds the tolerance times its per-neuron scale; undecided otherwise.

**The round-off rule** (one rule, applied by ``check_equivariant``, ``equivalent``, ``check_layerwise``,
``realizability`` and ``compensate``; its arithmetic is :func:`equifuzz.nets.canonical.roundoff_threshold`):
a datum that is zero in the exact arithmetic of a float construction (an averaged output bias, a
cancelled linear part, a merged channel) is judged against the round-off its construction can leave
relative to the *network's* own scale for that datum, not against its own size. A defect D of a datum
is negligible when

    ||D|| <= tol * own + ROUNDOFF * cond * terms * network,      ROUNDOFF = 64 eps,

(eps the unit round-off of the arithmetic that built the weights: float64's, or float32's for a float32 module),

with ``own`` the datum's size (the mass of the neurons on a hyperplane for a kink; ||L A|| + ||B L|| and
||e|| + ||B e|| for the linear part and the constant), ``network`` the summed per-neuron sizes that feed
it (kink: the same mass; linear part: sum_i ||w_i|| ||v_i||; constant: sum_i ||v_i|| |b_i| + ||b2||,
for both sides of the identity), ``cond`` = cond(A) cond(B) and ``terms`` = d + p for the linear part and
the constant (1 for a kink). The output bias of a layer-wise network is held to the constant's rule
(:func:`bias_fixed`). A witness of the exact numbers fails a verdict that the float comparison holds
within the rule only when its exact error exceeds what the rule allows at its own points
(:func:`roundoff_allowance`). Every size is computed scale-free (powers of two, :func:`equifuzz.nets.canonical.norms`),
from subnormal weights to 1e308. With no hidden biases the constant's network scale is ||b2|| itself:
a float average of a non-fixed output bias then leaves a constant that the group moves, and f(0) shows
it (exactly, and to any tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..certificate.checker import Witness
from ..errors.exceptions import RepresentationError
from ..nets.canonical import ROUNDOFF, FloatForm, exact_form, exponents, float_form, norm, roundoff_threshold
from ..nets.exact import Scaled, rational_or_none
from ..nets.relu_net import ReLUNet, float_views
from .comparison import Defect, compare_exact, compare_float
from .witness import find_witness

__all__ = ["Element", "ElementOutcome", "Decision", "decide", "check_conditioning", "well_conditioned", "SEMANTICS",
           "bias_fixed", "roundoff_allowance", "roundoff_threshold", "ROUNDOFF"]

EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Element:
    """One identity to decide: f(A x) = B g(x); ``A``/``B`` None for the identity matrix."""

    element: int | None
    word: str
    A: np.ndarray | None
    B: np.ndarray | None


@dataclass(frozen=True)
class ElementOutcome:
    """The verdict for one element: ``status`` "holds", "fails" or "undecided", with its evidence."""

    element: Element
    status: str
    semantics: str
    defects: tuple[Defect, ...] = ()
    exact_defects: tuple[Defect, ...] = ()
    witness: Witness | None = field(default=None, repr=False)
    candidate: Witness | None = field(default=None, repr=False)
    tolerance: float = 0.0
    note: str = ""
    residual: float = 0.0  # the float comparison's largest relative residual (tolerance semantics)

    @property
    def error(self) -> float:
        """The worst relative defect: the float residual under tolerance semantics, the exact defect when the
        verdict rests on it (0 when the identity holds exactly)."""
        if self.semantics == "tolerance" or not self.exact_defects:
            return max([self.residual] + [d.relative for d in self.defects])
        return max(d.relative for d in self.exact_defects)


@dataclass(frozen=True)
class Decision:
    status: str
    semantics: str
    outcomes: tuple[ElementOutcome, ...]

    @property
    def holds(self) -> bool | None:
        return {"holds": True, "fails": False}.get(self.status)

    @property
    def worst(self) -> ElementOutcome | None:
        rank = {"fails": 2, "undecided": 1, "holds": 0}
        return max(self.outcomes, key=lambda o: (rank[o.status], o.error), default=None)


def _cond(M: np.ndarray | None) -> float:
    return 1.0 if M is None or M.size == 0 else float(np.linalg.cond(M))


MAX_ROUNDOFF = 1e-6  # eps * cond beyond which float64 matrices are not trusted to decide anything


def well_conditioned(cond: float, tol: float) -> bool:
    """Whether float64 can decide with matrices of condition number ``cond``: their round-off eps * cond stays
    below 1e-6 (the float comparison then adds that round-off to ``tol``, and says so in the verdict)."""
    return cond * EPS <= MAX_ROUNDOFF


def check_conditioning(cond: float, tol: float, word: str) -> None:
    """Refuse representation matrices too ill-conditioned for float64 (round-off eps * cond above 1e-6)."""
    if not well_conditioned(cond, tol):
        raise RepresentationError(
            f"the representation matrices of {word or 'this element'} have condition number {cond:.3g}: float64 "
            f"cannot decide to tolerance {tol:g} there (round-off {cond * EPS:.2g}); pass exact (rational) "
            "matrices or a better-conditioned basis (e.g. rho.orthogonalized())")


def _exact_matrix(M: np.ndarray | None) -> Scaled | None | bool:
    """None for the identity, False when M is not rational."""
    if M is None:
        return None
    q = rational_or_none(M)
    return False if q is None else q


SEMANTICS = ("auto", "exact", "tolerance")


def bias_fixed(params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], B: np.ndarray, tol: float,
               cond: float = 1.0, eps: float = EPS) -> bool:
    """Whether B b2 = b2 under the round-off rule (module docstring): ||B b2 - b2|| within ``tol`` of
    ||b2|| + ||B b2|| plus the round-off of the network's constant scale, as the equivariance oracle judges
    the constant of the same network (scale-free: computed in the constant's own power of two)."""
    W1, b1, W2, b2 = params
    F = float_form(W1, b1, W2, b2)
    e = F.exponents.constant
    with np.errstate(under="ignore"):
        b2s = np.ldexp(np.asarray(b2, dtype=np.float64), -e)
    B = np.asarray(B, dtype=np.float64)
    Bb = B @ b2s
    nB = float(np.linalg.norm(B, 2)) if B.size else 1.0
    d, p = W1.shape[1], B.shape[0]
    thr = roundoff_threshold(norm(b2s) + norm(Bb), F.constant_mass * (1.0 + nB), tol, cond, d + p, eps)
    return norm(Bb - b2s) <= thr


def roundoff_allowance(F: FloatForm, G: FloatForm, A: np.ndarray | None, B: np.ndarray | None,
                       points: np.ndarray, coefficients: tuple[int, ...], cond: float, eps: float = EPS) -> Fraction:
    """An upper bound of what the round-off rule allows ||sum_k c_k (f(A x_k) - B g(x_k))|| to be: at each
    point, every datum off by its round-off floor (constant, linear part times ||x_k||, and each kink's
    channel times its distance |n . A x_k + beta| / 2), exactly as a Fraction (no overflow for any scale)."""
    d, p = F.linear.shape[1], F.linear.shape[0]
    A_ = np.eye(d) if A is None else np.asarray(A, dtype=np.float64)
    B_ = np.eye(p) if B is None else np.asarray(B, dtype=np.float64)
    nA = float(np.linalg.norm(A_, 2)) if d else 1.0
    nB = float(np.linalg.norm(B_, 2)) if p else 1.0
    ex = F.exponents
    const = Fraction(F.constant_mass + nB * G.constant_mass) * Fraction(2) ** ex.constant
    lin = Fraction(F.linear_mass * nA + nB * G.linear_mass) * Fraction(2) ** ex.linear
    total = Fraction(0)
    for x, c in zip(np.asarray(points, dtype=np.float64).reshape(len(coefficients), d), coefficients, strict=True):
        if c == 0:
            continue
        ax = A_ @ x
        with np.errstate(over="ignore", invalid="ignore"):
            dist = np.concatenate([np.abs(F.normals @ ax + F.offsets), np.abs(G.normals @ x + G.offsets)])
        mass = np.concatenate([F.unit_mass * nA, G.unit_mass * nB])
        exps = np.concatenate([F.channel_exp, G.channel_exp]).astype(np.int64)
        t = mass * dist / 2
        live = mass > 0
        if not np.all(np.isfinite(t[live])):
            return Fraction(10) ** 400  # a hyperplane beyond float64's range: allow anything (never a false fail)
        kinks = Fraction(0)
        if np.any(live):
            top = int(exps[live].max())
            with np.errstate(under="ignore"):
                kinks = Fraction(float(np.ldexp(t[live], exps[live] - top).sum()) * (1 + 1e-12)) * Fraction(2) ** top
        xn = Fraction(norm(x)) * (1 + Fraction(1, 10 ** 12))
        total += abs(c) * ((d + p) * (const + lin * xn) + kinks)
    return 64 * Fraction(eps) * Fraction(cond) * total


def _beyond_roundoff(w: Witness, F: FloatForm, G: FloatForm, A: np.ndarray | None, B: np.ndarray | None,
                     cond: float, eps: float) -> bool:
    """Whether the witness's exact error exceeds :func:`roundoff_allowance` for its own combination."""
    allow = roundoff_allowance(F, G, A, B, w.points, w.coefficients, cond, eps)
    E2 = w.exact_error2 if getattr(w, "exact_error2", None) is not None else (
        Fraction(w.error) ** 2 if np.isfinite(w.error) else None)
    return E2 is None or E2 > allow * allow


def decide(f: ReLUNet, g: ReLUNet, elements: list[Element], tol: float, *, semantics: str = "auto",
           seed: int = 0, eps: float = EPS) -> Decision:
    """Decide f(A x) = B g(x) for every element (see the module docstring for the semantics).

    ``eps``: the unit round-off of the arithmetic that built the weights, for the round-off rule (float64's by
    default; float32's for weights read from a float32 module).

    ``semantics``: "auto" (as described), "exact" (the exact numbers alone; A and B must be rational),
    "tolerance" (the float comparison alone, even where exact arithmetic is possible).
    """
    decision = _decide(f, g, elements, tol, semantics, seed, eps, early=False)
    assert decision is not None
    return decision


def decide_unless_not_holding(f: ReLUNet, g: ReLUNet, elements: list[Element], tol: float, *,
                              semantics: str = "auto", seed: int = 0, eps: float = EPS) -> Decision | None:
    """:func:`decide`, or None as soon as an element is known not to hold whatever its witness search finds
    (its verdict would be "fails" or "undecided"): the witnesses of such an element are not built. When it
    returns a Decision, that is exactly what :func:`decide` returns (with its witnesses). For callers that
    only need to know whether the identity holds (a minimizer rejecting a candidate)."""
    return _decide(f, g, elements, tol, semantics, seed, eps, early=True)


def _decide(f: ReLUNet, g: ReLUNet, elements: list[Element], tol: float, semantics: str, seed: int, eps: float,
            *, early: bool) -> Decision | None:
    exact_weights = f.exact or g.exact or semantics == "exact"
    forms: list[FloatForm] = []

    def float_forms() -> tuple[FloatForm, FloatForm]:
        """f's and g's float canonical forms, built on first use: under rational matrices the exact comparison
        decides first, and Fraction weights need them only to look for a witness."""
        if not forms:
            fp, gp = float_views(f, g)
            shift = exponents(fp, gp)  # one output scale per datum for both sides: the identity is homogeneous in it
            FF = float_form(*fp, out_shift=shift)
            forms.extend([FF, FF if g is f else float_form(*gp, out_shift=shift)])
        return forms[0], forms[1]

    FE = GE = None
    outcomes = []
    not_holding = False  # early: an element is known not to hold
    for el in elements:
        Aq, Bq = _exact_matrix(el.A), _exact_matrix(el.B)
        rational = Aq is not False and Bq is not False and semantics != "tolerance"
        if semantics == "exact" and not rational:
            raise RepresentationError(f"exact semantics needs rational representation matrices; those of "
                                      f"{el.word} are not (pass Fraction-valued matrices or semantics='tolerance')")
        if not_holding:  # only what decide would still raise on: matrices too ill-conditioned for float64
            if not rational:
                check_conditioning(_cond(el.A) * _cond(el.B), tol, el.word)
            continue
        ex_defects: list[Defect] = []
        if rational:
            if FE is None:
                FE = exact_form(f.W1, f.b1, f.W2, f.b2)
                GE = FE if g is f else exact_form(g.W1, g.b1, g.W2, g.b2)
            ex_defects = compare_exact(FE, GE, Aq, Bq)  # type: ignore[arg-type]
            if not ex_defects:
                outcomes.append(ElementOutcome(el, "holds", "exact"))
                continue
            if exact_weights:  # Fraction weights: the exact numbers are the question
                if early:  # "fails" or "undecided": not "holds", whatever the witness search finds
                    not_holding = True
                    continue
                w, best = find_witness(f, g, el.A, el.B, ex_defects, *float_forms(), 0.0, element=el.element,
                                       word=el.word, seed=seed)
                status = "fails" if w is not None else "undecided"
                note = "" if w is not None else "the exact canonical data differ but no evaluated point shows it"
                outcomes.append(ElementOutcome(el, status, "exact", exact_defects=tuple(ex_defects), witness=w,
                                               candidate=best, note=note))
                continue
        cond = _cond(el.A) * _cond(el.B)
        if not rational:
            check_conditioning(cond, tol, el.word)
        elif not well_conditioned(cond, tol):
            # float64 cannot tell round-off from a defect at this conditioning: the exact numbers decide
            if early:
                not_holding = True
                continue
            w, best = find_witness(f, g, el.A, el.B, ex_defects, *float_forms(), tol, element=el.element, word=el.word,
                                   seed=seed)
            outcomes.append(ElementOutcome(
                el, "fails" if w is not None else "undecided", "exact", (), tuple(ex_defects), w, best, tol,
                note="" if w is not None else (
                    f"exactly, the numbers differ ({ex_defects[0].describe()}); at condition number {cond:.3g} "
                    "float64 cannot judge whether that is round-off: pass exact weights (Fractions) to decide")))
            continue
        # round-off of the matrices enters the float comparison as eps * cond per unit of size (kept far
        # below the tolerance by check_conditioning); the tolerance itself is not inflated
        tol_g = tol + ROUNDOFF * cond
        fl_defects, fl_worst = compare_float(*float_forms(), el.A, el.B, tol_g, cond, eps)
        if fl_defects:
            if early:
                not_holding = True
                continue
            w, best = find_witness(f, g, el.A, el.B, fl_defects + ex_defects, *float_forms(), tol_g, element=el.element,
                                   word=el.word, seed=seed)
            note = ""
            if w is None and rational:
                # both the float comparison (above tolerance) and the exact numbers say it fails: a witness with
                # an exactly non-zero error certifies the exact claim even where the per-neuron bound is too
                # coarse to certify the tolerance claim (defects within a few times the tolerance)
                w, best0 = find_witness(f, g, el.A, el.B, ex_defects + fl_defects, *float_forms(), 0.0,
                                        element=el.element, word=el.word, seed=seed)
                best = best or best0
                note = (f"{fl_defects[0].describe()}; the witness shows the exact numbers fail (its error is "
                        f"{w.ratio:.3g} of the per-neuron scale)" if w is not None else "")
            if w is not None:
                outcomes.append(ElementOutcome(el, "fails", "exact" if rational else "tolerance", tuple(fl_defects),
                                               tuple(ex_defects), w, best, tol_g, residual=fl_worst, note=note))
            else:
                outcomes.append(ElementOutcome(
                    el, "undecided", "tolerance", tuple(fl_defects), tuple(ex_defects), None, best, tol_g,
                    residual=fl_worst,
                    note=(f"{fl_defects[0].describe()}; but no evaluated point shows an error above the tolerance "
                          f"(best {best.ratio:.3g} of the per-neuron scale)" if best is not None else
                          f"{fl_defects[0].describe()}; no evaluated point shows an error")))
            continue
        if ex_defects:
            # float says "within tolerance" but the exact numbers differ: fail only on a verified witness whose
            # exact error also exceeds what the round-off rule allows the same combination (else the oracles
            # would contradict each other: layer-wise and compensate hold the datum to the rule)
            w, best = find_witness(f, g, el.A, el.B, ex_defects, *float_forms(), tol_g, element=el.element,
                                   word=el.word, seed=seed)
            if w is not None and not _beyond_roundoff(w, *float_forms(), el.A, el.B, cond, eps):
                best, w = w, None
            if w is not None:
                outcomes.append(ElementOutcome(
                    el, "fails", "exact", (), tuple(ex_defects), w, best, tol_g, residual=fl_worst,
                    note="within tolerance of the float comparison, but an exact witness exceeds it"))
                continue
            outcomes.append(ElementOutcome(
                el, "holds", "tolerance", (), tuple(ex_defects), None, best, tol_g, residual=fl_worst,
                note=f"exactly, the numbers differ ({ex_defects[0].describe()}); within tolerance {tol_g:.3g}"))
            continue
        outcomes.append(ElementOutcome(el, "holds", "tolerance", tolerance=tol_g, residual=fl_worst))
    if not_holding:
        return None
    statuses = {o.status for o in outcomes}
    status = "fails" if "fails" in statuses else ("undecided" if "undecided" in statuses else "holds")
    sems = {o.semantics for o in outcomes if o.status == status}
    semantics = "exact" if sems <= {"exact"} else "tolerance"
    return Decision(status, semantics, tuple(outcomes))
