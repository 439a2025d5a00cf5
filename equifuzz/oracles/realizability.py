"""Realizability: is an equivariant ReLUNet function computed by a layer-wise equivariant net of width m?

1. Not equivariant (T1) -> never.
2. m < sum over kink-hyperplane orbits of |G| / |Stab+(H)| (T4) -> no.
3. m >= width of the orbit-merged symmetrization (T5b) -> yes, with that witness.
4. Between the bounds, a decision over the *structures* of normalized layer-wise networks
   (docs/realizability.md): every layer-wise network computing f can be merged, without growing, into
   one whose neuron orbits are oriented hyperplane orbits; on f's kink orbits with one or both
   orientations, elsewhere cancelling orbits of a type (S, chi) of width 2 |G| / |S| that add only a
   linear part and a constant. A structure fixes these choices and so its width; f's channels, linear
   part L = 1/2 W2 W1 and constant must then be matched by output vectors, linear except for the
   cancelling orbits' a u^T. Each structure of width <= m is either refuted (no solution even with the
   rank limit of the cancelling orbits dropped: an exact linear-algebra certificate), or built (a
   witness network, checked by the equivalence and layer-wise oracles, exactly over the rationals
   when the representations are rational). The answer is True when one is built, False when all are
   refuted, and ``None`` (naming the structures left) when neither happens within the budget.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..errors.exceptions import BudgetExceededError, ShapeError
from ..errors.validation import check_choice, check_int, check_tolerance
from ..groups.finite import Subgroup
from ..nets.canonical import norm
from ..nets.relu_net import ReLUNet, cluster_rows
from ..nets.validation import check_net_and_reps
from ..reps.finite import Representation, subgroup_from_elements
from .compensate import compensate_validated
from .equivariance import DEFAULT_TOL, EquivarianceVerdict, _check_net, _equivalent, canonical_verdict
from .layerwise import _check_layerwise
from .orbit_types import KinkOrbit, Setting, orbit_types
from .realizability_search import Problem, Structure
from .scaling import balanced, balanced_exact, extreme_weights, fits_float, unbalanced
from .verdict import Verdict

__all__ = ["HyperplaneOrbit", "RealizabilityVerdict", "realizability", "hyperplane_orbits"]

DEFAULT_BUDGET = 20_000
DEFAULT_SUBGROUP_BUDGET = 5 * DEFAULT_BUDGET  # joins; S5 needs about 1 100, S6 about 20 000


@dataclass(frozen=True)
class HyperplaneOrbit:
    """A G-orbit of kink hyperplanes (indices into the canonical form) with the stabilizers of the first.

    ``reversed`` says whether some element maps the first hyperplane to itself with its orientation
    flipped (iota = 2 in T4).
    """

    hyperplanes: tuple[int, ...]
    stabilizer: Subgroup
    stabilizer_plus: Subgroup

    @property
    def size(self) -> int:
        return len(self.hyperplanes)

    @property
    def reversed(self) -> bool:
        return self.stabilizer.order != self.stabilizer_plus.order

    @property
    def min_neurons(self) -> int:
        return self.stabilizer.group.order // self.stabilizer_plus.order


@dataclass(frozen=True)
class RealizabilityVerdict(Verdict):
    """Whether f is realized by a layer-wise equivariant network of width ``width``.

    ``realizable`` is True (``witness`` realizes it, of width <= ``width``; zero neurons pad it),
    False (``reason`` gives the argument), or None (the budget ran out; ``remaining`` names the
    structures neither refuted nor built). ``lower`` is the T4 bound, ``linear_lower`` the sound bound
    that also counts the linear part (the smallest width of a structure the relaxation does not
    refute, as far as the search went; ``width + 1`` when every structure up to ``width`` is refuted),
    ``upper`` the T5b bound (or the witness's width when smaller). ``witness_check`` says how the
    witness was verified (exactly, or in float64 with which residual).
    """

    width: int
    realizable: bool | None
    lower: int | None
    upper: int | None
    naive_upper: int | None
    gn_lower: int | None
    witness: ReLUNet | None = field(default=None, repr=False)
    orbits: tuple[HyperplaneOrbit, ...] = ()
    searched: int = 0
    budget: int = DEFAULT_BUDGET
    tolerance: float = DEFAULT_TOL
    reason: str = ""
    equivariance: EquivarianceVerdict | None = field(default=None, repr=False)
    linear_lower: int | None = None
    refuted: int = 0
    remaining: tuple[str, ...] = ()
    witness_check: str = ""
    exact: bool = False

    def __str__(self) -> str:
        word = {True: "realizable", False: "NOT realizable", None: "UNDECIDED"}[self.realizable]
        s = (f"{word} by a layer-wise equivariant network of width {self.width} "
             f"[lower bound {self.lower} (T4), {self.linear_lower} counting the linear part, orbit-refined "
             f"upper bound {self.upper}, naive |G| m = {self.naive_upper}]")
        if self.witness is not None:
            s += f"\n  witness of width {self.witness.width} ({self.witness_check}): {self.witness!r}"
        if self.reason:
            s += f"\n  {self.reason}"
        for r in self.remaining[:5]:
            s += f"\n  remaining: {r}"
        if len(self.remaining) > 5:
            s += f"\n  ... and {len(self.remaining) - 5} more"
        return s


def hyperplane_orbits(net: ReLUNet, rho_in: Representation, tol: float = DEFAULT_TOL
                      ) -> tuple[list[HyperplaneOrbit], np.ndarray, np.ndarray]:
    """Orbits of the kink hyperplanes of ``net`` under g.H = rho_in(g) H.

    Also returns ``perm[g, k]`` (index of g.H_k) and ``sign[g, k]`` (+1 if the orientation is kept).
    """
    form = net.to_float().canonical(tol)
    G = rho_in.group
    k = form.n_hyperplanes
    U, beta = np.asarray(form.normals, float), np.asarray(form.offsets, float)
    if not np.all(np.isfinite(beta)):
        raise ShapeError("a kink lies farther from the origin than float64 can represent (|b| / ||w|| beyond "
                         "1.8e308): its image cannot be located in float64")
    # offsets compared as asinh(beta), as the canonical form clusters them: relative to max(1, |beta|) per
    # hyperplane, never against the farthest one (offsets 1 and 2 next to one of 1e200 stay apart)
    base = np.concatenate([U, np.arcsinh(beta)[:, None]], axis=1)
    dual = rho_in.dual().matrices
    perm = np.zeros((G.order, k), dtype=np.int64)
    sign = np.ones((G.order, k))
    for g in G.elements:
        V = U @ dual[g].T
        n = np.linalg.norm(V, axis=1)
        V, b = V / n[:, None], beta / n
        # match each image against both orientations of the hyperplanes (an orientation rule applied to
        # the images could flip a near-threshold copy); sign -1 where it matches the reversed one
        rows = np.concatenate([V, np.arcsinh(b)[:, None]], axis=1)
        lab = cluster_rows(np.concatenate([base, -base, rows]), tol)
        owner: dict[int, tuple[int, float]] = {}
        for i in range(2 * k):
            owner.setdefault(int(lab[i]), (i % k, 1.0 if i < k else -1.0))
        matched = [owner.get(int(lab[2 * k + i]), (-1, 1.0)) for i in range(k)]
        img = [m[0] for m in matched]
        if min(img, default=0) < 0:
            raise ShapeError("hyperplanes are not permuted by the group: the network is not equivariant")
        perm[g] = img
        sign[g] = [m[1] for m in matched]
    orbits = []
    seen = np.zeros(k, dtype=bool)
    for h in range(k):
        if seen[h]:
            continue
        orb = sorted(set(perm[:, h].tolist()))
        seen[orb] = True
        stab = np.flatnonzero(perm[:, h] == h)
        stab_plus = stab[sign[stab, h] > 0]
        orbits.append(HyperplaneOrbit(tuple(orb), subgroup_from_elements(G, stab),
                                      subgroup_from_elements(G, stab_plus)))
    return orbits, perm, sign




def realizability(f: ReLUNet, rho_in: Representation, rho_out: Representation, width: int, *,
                  tol: float = DEFAULT_TOL, budget: int = DEFAULT_BUDGET, method: str = "auto",
                  subgroup_budget: int | None = None) -> RealizabilityVerdict:
    """Decide whether f is in LEN_width (see the module docstring and docs/realizability.md).

    ``budget`` bounds the structures examined between the bounds, ``subgroup_budget`` (default: 5 x
    ``budget``, i.e. DEFAULT_SUBGROUP_BUDGET for the default budget) the joins formed
    while enumerating the subgroups up to conjugacy (the orbit types); past either the answer is None.
    ``method="search"`` decides by the structure search even at or above the T5b bound, so that a True
    comes with a witness of the smallest width (the T5b witness only when the budget runs out there).
    """
    f = check_net_and_reps("f", f, rho_in, rho_out)
    width = check_int("width", width, min=0)
    tol = check_tolerance("tol", tol)
    budget = check_int("budget", budget, min=1)
    if subgroup_budget is not None:
        subgroup_budget = check_int("subgroup_budget", subgroup_budget, min=0)
    method = check_choice("method", method, ("auto", "search"))
    _check_net(f, rho_in, rho_out)
    G = rho_in.group
    ev = canonical_verdict(f, rho_in, rho_out, tol)  # validated above: check_equivariant's verdict, not asked again
    assert ev is not None
    naive = G.order * f.width
    if ev.holds is None:
        return RealizabilityVerdict(None, int(width), None, None, None, naive, None, equivariance=ev, tolerance=tol,
                                    budget=budget, reason=f"undecided whether f is equivariant: {ev.reason}")
    if not ev.holds:
        return RealizabilityVerdict(False, int(width), False, None, None, naive, None, equivariance=ev, tolerance=tol,
                                    budget=budget, reason="f is not equivariant (T1), so no layer-wise equivariant "
                                                          "network computes it")
    bal = balanced_exact(f) if f.exact else balanced(f) if extreme_weights(f) else None
    if bal is not None:
        # decide on f's neurons scaled by powers of two (exactly the same function over 2^s): no weight product
        # of the search overflows or underflows; the witness is scaled back
        v = _realizability(bal[0], rho_in, rho_out, int(width), ev, tol, budget, method, subgroup_budget)
        if v.witness is None:
            return v
        w = v.witness if v.witness.exact or fits_float(v.witness, bal[1]) else v.witness.to_exact()
        return dataclasses.replace(v, witness=unbalanced(w, bal[1]))  # exactly 2^s times the witness found
    return _realizability(f, rho_in, rho_out, int(width), ev, tol, budget, method, subgroup_budget)


def _realizability(f: ReLUNet, rho_in: Representation, rho_out: Representation, width: int,
                   ev: EquivarianceVerdict, tol: float, budget: int, method: str, subgroup_budget: int | None
                   ) -> RealizabilityVerdict:
    G = rho_in.group
    naive = G.order * f.width
    net = f.to_float()
    try:
        orbits, _, _ = hyperplane_orbits(net, rho_in, tol)
    except ShapeError as exc:  # f is equivariant, but float64 cannot match its hyperplanes' images
        return RealizabilityVerdict(None, int(width), None, None, None, naive, None, equivariance=ev, tolerance=tol,
                                    budget=budget, reason=f"f is equivariant ({ev.semantics}), but float64 cannot "
                                                          f"pair its kink hyperplanes with their images ({exc})")
    lower = sum(o.min_neurons for o in orbits)
    gn_lower = sum(o.size for o in orbits)
    t5b = compensate_validated(net, rho_in, rho_out, True, tol)  # validated by realizability
    upper = t5b.width
    common = dict(width=int(width), lower=lower, naive_upper=naive, gn_lower=gn_lower, orbits=tuple(orbits),
                  tolerance=tol, budget=budget, equivariance=ev, exact=False)
    if width < lower:
        return RealizabilityVerdict(False, realizable=False, upper=upper, linear_lower=lower,
                                    **common,  # type: ignore[arg-type]
                                    reason=f"width {width} is below the lower bound {lower} (T4)")
    st, fx = _setting(f, rho_in, rho_out, tol)
    common["exact"] = st.exact
    if st.exact:
        exact_t5b = compensate_validated(fx, rho_in, rho_out, True, tol)
        t5b = exact_t5b if exact_t5b.width == upper else t5b
    t5b_ok, t5b_note = _verify_witness(t5b, fx, rho_in, rho_out, st, tol) if width >= upper else (False, "")
    if width >= upper and method == "auto":
        ok, note = t5b_ok, t5b_note
        if ok:
            return RealizabilityVerdict(True, realizable=True, upper=upper, witness=t5b, witness_check=note,
                                        **common,  # type: ignore[arg-type]
                                        reason=f"width {width} >= orbit-refined upper bound {upper} (T5b)")
    kinks = _kink_orbits(st, fx, net, orbits, tol)
    if kinks is None and st.exact:  # the exact data disagree with the float orbits: decide in float64
        st, fx = _setting(f, rho_in, rho_out, tol, exact=False)
        kinks = _kink_orbits(st, fx, net, orbits, tol)
        common["exact"] = False
    if kinks is None:
        return RealizabilityVerdict(False, realizable=None, upper=upper, **common,  # type: ignore[arg-type]
                                    reason="the kink hyperplanes could not be matched to neurons of f")
    try:
        classes = G.subgroup_classes(budget=5 * budget if subgroup_budget is None else subgroup_budget)
    except BudgetExceededError as exc:
        return RealizabilityVerdict(False, realizable=None, upper=upper, **common,  # type: ignore[arg-type]
                                    reason=f"orbit types not enumerated: {exc}")
    fst = st if not st.exact else Setting.build(rho_in, rho_out, st.hidden_bias, st.output_bias, exact=False)
    types = orbit_types(st, classes, with_constants=st.hidden_bias and not st.output_bias)
    prob = Problem(st, fst, fx, kinks, types)
    v = _decide(prob, int(width), budget, upper, common, rho_in, rho_out, tol)
    if v.realizable is not True and t5b_ok:  # the search ran out of budget: T5b settles it
        word = ("the structure search did not settle it" if v.realizable is None else
                "INCONSISTENT: the structure search refuted every structure")
        return dataclasses.replace(v, holds=True, realizable=True, witness=t5b, witness_check=t5b_note,
                                   reason=f"width {width} >= orbit-refined upper bound {upper} (T5b); {word}: "
                                          f"{v.reason}")
    return v


def _decide(prob: Problem, width: int, budget: int, upper: int, common: dict,  # type: ignore[type-arg]
            rho_in: Representation, rho_out: Representation, tol: float) -> RealizabilityVerdict:
    tried = refuted = 0
    truncated = False
    at = ""
    linear_lower: int | None = None
    open_: list[Structure] = []
    family_ok: dict[tuple, bool] = {}  # type: ignore[type-arg]
    for s in _levels(prob, width, budget):
        if s is None or tried >= budget:
            truncated = True
            at = "" if s is None else f" (next: {s.describe(prob.kinks, prob.types)})"
            break
        tried += 1
        fam = (s.kink, s.const, s.width - sum(n * t.width for n, t in zip(s.counts, prob.types, strict=True)))
        if fam not in family_ok:  # all types that fit at once: refutes every structure of this family
            room = width - fam[2]
            full = tuple(t.max_useful if t.width <= room else 0 for t in prob.types)
            family_ok[fam] = prob.relax(Structure(s.kink, full, s.const, width))
        if not family_ok[fam] or not prob.relax(s):
            refuted += 1
            continue
        if linear_lower is None:
            linear_lower = s.width
        cand = prob.construct(s)
        if cand is not None:
            ok, note = _verify_witness(cand, prob.f, rho_in, rho_out, prob.st, tol)
            if ok:
                return RealizabilityVerdict(
                    True, realizable=True, upper=min(upper, cand.width), witness=cand, witness_check=note,
                    searched=tried, refuted=refuted, linear_lower=linear_lower, **common,
                    reason=f"built: {s.describe(prob.kinks, prob.types)} (after {refuted} of {tried} "
                           "structures refuted)")
        open_.append(s)
    remaining = tuple(s.describe(prob.kinks, prob.types) for s in open_)
    if truncated:
        return RealizabilityVerdict(
            False, realizable=None, upper=upper, searched=tried, refuted=refuted, linear_lower=linear_lower,
            remaining=remaining, **common,
            reason=(f"budget of {budget} structures ran out after {tried} ({refuted} refuted, {len(open_)} "
                    f"neither refuted nor built); structures of width <= {width} beyond those were not "
                    f"examined{at}"))
    if open_:
        return RealizabilityVerdict(
            False, realizable=None, upper=upper, searched=tried, refuted=refuted, linear_lower=linear_lower,
            remaining=remaining, **common,
            reason=(f"{len(open_)} structure(s) match f's linear part with the rank limit of their cancelling "
                    "orbits dropped, but no network of them was built"))
    return RealizabilityVerdict(
        False, realizable=False, upper=upper, searched=tried, refuted=refuted, linear_lower=width + 1, **common,
        reason=_argument(prob, width, tried))


def _levels(prob: Problem, width: int, budget: int):  # type: ignore[no-untyped-def]
    """The structures of width 0, 1, ..., ``width`` in turn; None once a level holds more than the budget."""
    for w in range(width + 1):
        level, more = prob.structures(w, limit=budget)
        yield from level
        if more:
            yield None
            return


def _argument(prob: Problem, width: int, tried: int) -> str:
    """Why no structure of width <= ``width`` computes f."""
    sizes = ", ".join(f"{k.size} ({'reversed' if k.reversed else 'not reversed'})" for k in prob.kinks) or "none"
    narrow = min((t.width for t in prob.types), default=None)
    extra = "; or a constant neuron" if prob.const_ok else ""
    return (f"each of the {tried} structure(s) of width <= {width} (orientations on the kink orbits of sizes "
            f"{sizes}; cancelling orbits, the narrowest type carrying a linear part of width {narrow}{extra}) "
            "leaves f's channels, linear part or constant "
            "unmatched even with the rank of the cancelling orbits unlimited (exact linear algebra"
            f"{'' if prob.st.exact else ' in float64'})")


def _setting(f: ReLUNet, rho_in: Representation, rho_out: Representation, tol: float,
             exact: bool | None = None) -> tuple[Setting, ReLUNet]:
    """Exact when the representations are rational and f, as given, is exactly equivariant."""
    st = Setting.build(rho_in, rho_out, f.hidden_bias, f.output_bias, exact=exact)
    if st.exact:
        fx = f.to_exact()
        # whether it holds, not why not: no witness is built for a failing element
        ex = canonical_verdict(fx, rho_in, rho_out, semantics="exact", early=True)
        if ex is not None and ex.holds:
            return st, fx
        st = Setting.build(rho_in, rho_out, f.hidden_bias, f.output_bias, exact=False)
    return st, f.to_float()


def _ratio(w: np.ndarray, b: object, u: np.ndarray, beta: object, exact: bool, tol: float) -> object | None:
    """lambda with (w, b) = lambda (u, beta), or None."""
    k = int(np.argmax(np.abs(np.asarray(u, dtype=float))))
    lam = w[k] / u[k]
    if exact:
        return lam if all(w[i] == lam * u[i] for i in range(len(u))) and b == lam * beta else None
    scale = float(np.linalg.norm(np.asarray(w, float))) + abs(float(b))  # type: ignore[arg-type]
    err = float(np.max(np.abs(np.asarray(w, float) - lam * np.asarray(u, float)), initial=0.0))
    err = max(err, abs(float(b) - float(lam) * float(beta)))  # type: ignore[arg-type]
    return lam if err <= 1e3 * tol * max(scale, 1e-300) else None


def _kink_orbits(st: Setting, fx: ReLUNet, net: ReLUNet, orbits: list[HyperplaneOrbit],
                 tol: float) -> list[KinkOrbit] | None:
    """Exact (or float) data of f's kink orbits: a neuron's (w, b) as representative, f's channel there."""
    form = net.canonical(tol)
    if st.exact and fx.canonical().n_hyperplanes != form.n_hyperplanes:
        return None  # kinks the float form merges are distinct in the exact numbers: decide in float64
    W1f = np.asarray(net.W1, float)
    b1f = np.asarray(net.b1, float)
    out = []
    for idx, o in enumerate(orbits):
        h = o.hyperplanes[0]
        uh = np.asarray(form.normals[h], float)
        bh = float(form.offsets[h])
        rep = None
        for i in range(fx.width):
            n = norm(W1f[i])  # no underflow for tiny w
            if n == 0:
                continue
            with np.errstate(over="ignore"):
                bi = b1f[i] / n
            for sg in (1.0, -1.0):
                if (np.max(np.abs(W1f[i] / n - sg * uh)) < 1e-7
                        and abs(np.arcsinh(bi) - np.arcsinh(sg * bh)) < 1e-7):  # offsets relative to their size
                    rep = i
            if rep is not None:
                break
        if rep is None:
            return None
        u, beta = fx.W1[rep], fx.b1[rep]
        gamma = st.field(np.zeros(st.p, dtype=int))
        for j in range(fx.width):
            lam = _ratio(fx.W1[j], fx.b1[j], u, beta, st.exact, tol)
            if lam is not None and lam != 0:
                gamma = gamma + abs(lam) * fx.W2[:, j]  # type: ignore[arg-type]
        K = o.stabilizer_plus
        rev = [g for g in o.stabilizer.elements if g not in K]
        r = rev[0] if rev else None
        # the stabilizers came from float clustering: confirm them on the representative
        ud = st.field(u)
        for g in K.generators:
            if _ratio(st.Rdual[g] @ ud, beta, ud, beta, st.exact, tol) != 1 and st.exact:
                return None
        if r is not None and st.exact:
            flipped = all(x == -y for x, y in zip(st.Rdual[r] @ ud, ud, strict=True))
            if not (flipped and beta == 0):
                return None
        B = st.eigenspace(st.Rout, list(K.elements), {g: 1 for g in K.elements})
        out.append(KinkOrbit(idx, ud, beta, gamma, K, r, o.size, B, st.cosets(K)))
    return out


def _verify_witness(witness: ReLUNet, f: ReLUNet, rho_in: Representation, rho_out: Representation,
                    st: Setting, tol: float) -> tuple[bool, str]:
    """Check that ``witness`` computes f and is layer-wise equivariant; say how it was checked.

    Exact (Fraction weights, rational representations) when the setting is exact; else float64 with
    the residual of the equivalence check.
    """
    if st.exact:
        wx = witness if witness.exact else witness.to_exact()
        fx = f if f.exact else f.to_exact()
        eq = _equivalent(wx, fx, DEFAULT_TOL)
        lw = _check_layerwise(wx, rho_in, rho_out, True, DEFAULT_TOL, "auto")  # validated by realizability
        ok = eq.holds is True and lw.holds is True
        return ok, ("verified exactly over the rationals (equivalent + check_layerwise)" if ok else
                    f"exact check failed: equivalent {eq.holds}, layer-wise {lw.holds}")
    wf, ff = witness.to_float(), f.to_float()
    eq = _equivalent(wf, ff, max(tol, 1e-7))
    lw = _check_layerwise(wf, rho_in, rho_out, True, max(tol, 1e-7), "auto")
    ok = eq.holds is True and lw.holds is True
    res = f"{eq.max_difference:.2e}"
    return ok, (f"verified in float64 (tolerance semantics; exact mode needs rational representations and "
                f"an exactly equivariant f with the kinks of its float form): equivalence residual {res} "
                f"within tolerance {eq.tolerance:.1e}, layer-wise" if ok else
                f"float64 check failed: equivalent {eq.holds} (residual {res}), layer-wise {lw.holds}")
