"""Realizability: is an equivariant ReLUNet function computed by a layer-wise equivariant net of width m?

1. Not equivariant (T1) -> never.
2. m < sum over kink-hyperplane orbits of |G| / |Stab+(H)| (T4) -> no.
3. m >= width of the orbit-merged symmetrization (T5b) -> yes, with that witness.
4. Between the bounds, an exact search. Neurons on a kink orbit O number at least |G|/|Stab+(H)|;
   at the lower bound the structure is forced (one neuron orbit per kink orbit, stabilizer Stab+(H),
   an orientation choice per unreversed orbit) and the remaining freedom (output vectors in
   Fix_K(rho_out), output bias in Fix_G(rho_out)) is linear, so enumerating orientations and solving a
   least-squares system decides it completely. With slack above the lower bound the search adds
   neuron orbits of smaller stabilizer or opposite orientation on the kink orbits and orbits through
   the origin along K-invariant directions whose channels must cancel; if these do not realize f the
   answer is ``None`` and the verdict says what was searched.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ..errors import ShapeError
from ..groups import FiniteGroup, Subgroup
from ..nets import ReLUNet, _orient, cluster_rows
from ..reps import Representation, fixed_basis, subgroup_from_elements
from ..validation import check_int, check_net_and_reps, check_tolerance
from .compensate import compensate
from .equivariance import DEFAULT_TOL, EquivarianceVerdict, _check_net, check_equivariant, equivalent
from .layerwise import check_layerwise
from .verdict import Verdict

__all__ = ["HyperplaneOrbit", "RealizabilityVerdict", "realizability", "hyperplane_orbits"]

DEFAULT_BUDGET = 20_000


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

    ``realizable`` is True (``witness`` realizes it), False (proved impossible), or None (the search
    between ``lower`` and ``upper`` did not settle it; ``reason`` says what was searched).
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

    def __str__(self) -> str:
        word = {True: "realizable", False: "NOT realizable", None: "UNDECIDED"}[self.realizable]
        s = (f"{word} by a layer-wise equivariant network of width {self.width} "
             f"[lower bound {self.lower}, orbit-refined upper bound {self.upper}, naive |G| m = {self.naive_upper}]")
        if self.witness is not None:
            s += f"\n  witness: {self.witness!r}"
        return s + (f"\n  {self.reason}" if self.reason else "")


def hyperplane_orbits(net: ReLUNet, rho_in: Representation, tol: float = DEFAULT_TOL
                      ) -> tuple[list[HyperplaneOrbit], np.ndarray, np.ndarray]:
    """Orbits of the kink hyperplanes of ``net`` under g.H = rho_in(g) H.

    Also returns ``perm[g, k]`` (index of g.H_k) and ``sign[g, k]`` (+1 if the orientation is kept).
    """
    form = net.to_float().canonical(tol)
    G = rho_in.group
    k = form.n_hyperplanes
    U, beta = np.asarray(form.normals, float), np.asarray(form.offsets, float)
    bscale = 1.0 + (float(np.max(np.abs(beta))) if k else 0.0)
    base = np.concatenate([U, beta[:, None] / bscale], axis=1)
    dual = rho_in.dual().matrices
    perm = np.zeros((G.order, k), dtype=np.int64)
    sign = np.ones((G.order, k))
    for g in G.elements:
        V = U @ dual[g].T
        n = np.linalg.norm(V, axis=1)
        V, b = V / n[:, None], beta / n
        # match each image against both orientations of the hyperplanes (an orientation rule applied to
        # the images could flip a near-threshold copy); sign -1 where it matches the reversed one
        rows = np.concatenate([V, b[:, None] / bscale], axis=1)
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
                  tol: float = DEFAULT_TOL, budget: int = DEFAULT_BUDGET) -> RealizabilityVerdict:
    """Decide whether f is in LEN_width (see the module docstring for the method)."""
    f = check_net_and_reps("f", f, rho_in, rho_out)
    width = check_int("width", width, min=0)
    tol = check_tolerance("tol", tol)
    budget = check_int("budget", budget, min=1)
    _check_net(f, rho_in, rho_out)
    G = rho_in.group
    ev = check_equivariant(f, rho_in, rho_out, tol=tol)
    naive = G.order * f.width
    if not ev.holds:
        return RealizabilityVerdict(False, int(width), False, None, None, naive, None, equivariance=ev, tolerance=tol,
                                    budget=budget, reason="f is not equivariant (T1), so no layer-wise equivariant "
                                                          "network computes it")
    net = f.to_float()
    orbits, perm, sign = hyperplane_orbits(net, rho_in, tol)
    lower = sum(o.min_neurons for o in orbits)
    gn_lower = sum(o.size for o in orbits)
    t5b = compensate(net, rho_in, rho_out, merge=True, tol=tol)
    upper = t5b.width
    common = dict(width=int(width), lower=lower, naive_upper=naive, gn_lower=gn_lower, orbits=tuple(orbits),
                  tolerance=tol, budget=budget, equivariance=ev)
    if width < lower:
        return RealizabilityVerdict(False, realizable=False, upper=upper, **common,  # type: ignore[arg-type]
                                    reason=f"width {width} is below the lower bound {lower} (T4)")
    search = _Search(net, rho_in, rho_out, orbits, perm, sign, tol, budget)
    if width >= upper:
        best = search.run(lower)  # a witness at the lower bound, when one exists, tightens the upper bound
        if best is not None and best.width < upper:
            upper = best.width
        else:
            best = t5b
        return RealizabilityVerdict(True, realizable=True, upper=upper, witness=best, searched=search.tried,
                                    **common,  # type: ignore[arg-type]
                                    reason=f"width {width} >= orbit-refined upper bound {upper} (T5b)")
    found = search.run(int(width))
    if found is not None:
        return RealizabilityVerdict(True, realizable=True, upper=min(upper, found.width), witness=found,
                                    searched=search.tried, **common,  # type: ignore[arg-type]
                                    reason=f"found by exact search after {search.tried} structure(s)")
    if search.exhausted_budget:
        return RealizabilityVerdict(False, realizable=None, upper=upper, searched=search.tried, **common,  # type: ignore[arg-type]
                                    reason=f"search budget of {budget} structures ran out between the bounds")
    if width == lower or search.complete:
        return RealizabilityVerdict(False, realizable=False, upper=upper, searched=search.tried, **common,  # type: ignore[arg-type]
                                    reason=(f"at the lower bound {lower} the structure is forced; none of the "
                                            f"{search.tried} orientation choices realizes f"))
    return RealizabilityVerdict(False, realizable=None, upper=upper, searched=search.tried, **common,  # type: ignore[arg-type]
                                reason=("no realization among extra orbits on the kink hyperplanes (smaller "
                                        "stabilizers, opposite orientations) and cancelling orbits along invariant "
                                        f"directions ({search.tried} structures); other off-kink structures were "
                                        "not searched"))


# ---------------------------------------------------------------------------------------------


@dataclass
class _OrbitSpec:
    """A neuron orbit: representative weight w, bias b, output basis Fix_K(rho_out), coset representatives."""

    w: np.ndarray
    b: float
    coset_reps: list[int]
    out_basis: np.ndarray  # (p, r)

    @property
    def size(self) -> int:
        return len(self.coset_reps)


class _Search:
    def __init__(self, net: ReLUNet, rho_in: Representation, rho_out: Representation, orbits: list[HyperplaneOrbit],
                 perm: np.ndarray, sign: np.ndarray, tol: float, budget: int) -> None:
        self.net, self.rho_in, self.rho_out = net, rho_in, rho_out
        self.G: FiniteGroup = rho_in.group
        self.orbits, self.perm, self.sign = orbits, perm, sign
        self.tol, self.budget = tol, budget
        self.tried = 0
        self.exhausted_budget = False
        self.complete = False
        self.form = net.canonical(tol)
        self.dual = rho_in.dual().matrices
        self.target = self._data(np.asarray(self.form.channels), np.asarray(self.form.linear),
                                 np.asarray(self.form.constant))
        self.fixG = fixed_basis(rho_out, list(self.G.elements))

    # data vector of a function: channels on the kink hyperplanes, L, e
    def _data(self, C: np.ndarray, L: np.ndarray, e: np.ndarray) -> np.ndarray:
        return np.concatenate([C.ravel(), L.ravel(), e.ravel()])

    def _orbit(self, w: np.ndarray, b: float, K: Subgroup) -> _OrbitSpec:
        c = self.G.cosets(K)
        reps = [int(np.flatnonzero(c == j)[0]) for j in range(K.index)]
        return _OrbitSpec(w, b, reps, fixed_basis(self.rho_out, list(K.elements)))

    def _design(self, specs: list[_OrbitSpec]) -> tuple[np.ndarray, np.ndarray]:
        """Design matrix (data vector per unknown) and target: channels on the kink hyperplanes and on
        any other hyperplane the structure uses (target 0 there), the linear part and the constant."""
        p, d = self.net.p, self.net.d
        U = [np.asarray(u, float) for u in self.form.normals]
        beta = [float(b) for b in self.form.offsets]
        placed = []
        for spec in specs:
            for g in spec.coset_reps:
                w = self.dual[g] @ spec.w
                nw = float(np.linalg.norm(w))
                h = _find(np.array(U).reshape(-1, d), np.array(beta), w / nw, spec.b / nw)
                if h is None:
                    s = _orient((w / nw)[None], 1e-9)[0]
                    U.append(s * w / nw)
                    beta.append(s * spec.b / nw)
                    h = len(U) - 1
                placed.append((h, nw, w))
        k = len(U)
        cols = []
        i = 0
        for spec in specs:
            for j in range(spec.out_basis.shape[1]):
                C, L, e = np.zeros((k, p)), np.zeros((p, d)), np.zeros(p)
                for n, g in enumerate(spec.coset_reps):
                    h, nw, w = placed[i + n]
                    v = self.rho_out(g) @ spec.out_basis[:, j]
                    C[h] += nw * v
                    L += 0.5 * np.outer(v, w)
                    e += 0.5 * v * spec.b
                cols.append(self._data(C, L, e))
            i += len(spec.coset_reps)
        if self.net.output_bias:
            for j in range(self.fixG.shape[1]):
                cols.append(self._data(np.zeros((k, p)), np.zeros((p, d)), self.fixG[:, j]))
        k0 = self.form.n_hyperplanes
        target = np.concatenate([self.target[: k0 * p], np.zeros((k - k0) * p), self.target[k0 * p:]])
        M = np.array(cols).T if cols else np.zeros((target.size, 0))
        return M, target

    def _solve(self, specs: list[_OrbitSpec]) -> ReLUNet | None:
        self.tried += 1
        M, target = self._design(specs)
        if M.shape[1] == 0:
            theta = np.zeros(0)
            res = float(np.linalg.norm(target))
        else:
            theta, *_ = np.linalg.lstsq(M, target, rcond=None)
            res = float(np.linalg.norm(M @ theta - target))
        if res > 1e3 * self.tol * max(1.0, float(np.linalg.norm(target))):
            return None
        return self._build(specs, theta)

    def _build(self, specs: list[_OrbitSpec], theta: np.ndarray) -> ReLUNet | None:
        W1, b1, W2 = [], [], []
        o = 0
        for spec in specs:
            r = spec.out_basis.shape[1]
            v0 = spec.out_basis @ theta[o:o + r]
            o += r
            for g in spec.coset_reps:
                W1.append(self.dual[g] @ spec.w)
                b1.append(spec.b)
                W2.append(self.rho_out(g) @ v0)
        b2 = self.fixG @ theta[o:] if self.net.output_bias else None
        d, p = self.net.d, self.net.p
        cand = ReLUNet(np.array(W1).reshape(-1, d), np.array(b1) if self.net.hidden_bias else None,
                       np.array(W2).reshape(-1, p).T, b2)
        if not equivalent(cand, self.net, tol=max(self.tol, 1e-7)).holds:
            return None
        if not check_layerwise(cand, self.rho_in, self.rho_out, tol=max(self.tol, 1e-7)).holds:
            return None
        return cand

    def run(self, width: int) -> ReLUNet | None:
        """Search structures of total width <= ``width``; the first one found (smallest first)."""
        U = np.asarray(self.form.normals, float)
        beta = np.asarray(self.form.offsets, float)
        lower = sum(o.min_neurons for o in self.orbits)
        slack = width - lower
        if slack < 0:
            return None
        base_specs = []
        free = []  # unreversed orbits: orientation is a choice
        for o in self.orbits:
            h = o.hyperplanes[0]
            base_specs.append((U[h], float(beta[h]), o))
            if not o.reversed:
                free.append(len(base_specs) - 1)
        extras = self._extra_candidates(slack) if slack > 0 else []
        for extra_combo in _combos(extras, slack):
            for signs in itertools.product((1.0, -1.0), repeat=len(free)):
                if self.tried >= self.budget:
                    self.exhausted_budget = True
                    return None
                specs = []
                for i, (u, b, o) in enumerate(base_specs):
                    s = signs[free.index(i)] if i in free else 1.0
                    specs.append(self._orbit(s * u, s * b, o.stabilizer_plus))
                found = self._solve(specs + [spec for _, spec in extra_combo])
                if found is not None:
                    return found
        self.complete = slack == 0
        return None

    def _extra_candidates(self, slack: int) -> list[tuple[str, _OrbitSpec, int]]:
        U = np.asarray(self.form.normals, float)
        beta = np.asarray(self.form.offsets, float)
        subs = self.G.subgroups()
        out: list[tuple[str, _OrbitSpec, int]] = []
        for o in self.orbits:
            h = o.hyperplanes[0]
            plus = set(o.stabilizer_plus.elements)
            for K in subs:
                if not set(K.elements) <= plus:
                    continue
                for s in ((1.0, -1.0) if not o.reversed else (1.0,)):
                    spec = self._orbit(s * U[h], s * float(beta[h]), K)
                    if spec.size <= slack:
                        out.append(("kink", spec, spec.size))
        # orbits through the origin along K-invariant directions, off the kink set: their channels must
        # cancel (the design matrix asks for zero there), so they contribute linear parts only
        for K in subs:
            if K.index > slack:
                continue
            Bw = fixed_basis(self.rho_in.dual(), list(K.elements))
            for j in range(Bw.shape[1]):
                for s in (1.0, -1.0):
                    out.append(("free", self._orbit(s * Bw[:, j], 0.0, K), K.index))
        return out


def _combos(extras: list[tuple[str, _OrbitSpec, int]], slack: int):  # type: ignore[no-untyped-def]
    """Multisets of extra orbits (as lists of (kind, spec)) with total size <= slack, smallest first."""
    yield []
    if not extras:
        return
    out: list[list[tuple[str, _OrbitSpec]]] = []

    def rec(start: int, room: int, chosen: list[tuple[str, _OrbitSpec]]) -> None:
        for i in range(start, len(extras)):
            kind, spec, size = extras[i]
            if size <= room:
                nxt = chosen + [(kind, spec)]
                out.append(nxt)
                rec(i, room - size, nxt)

    rec(0, slack, [])
    out.sort(key=lambda c: sum(s.size for _, s in c))
    yield from out


def _find(U: np.ndarray, beta: np.ndarray, u: np.ndarray, b: float) -> int | None:
    """Index of the kink hyperplane {u.x + b = 0} (either orientation), or None."""
    if U.shape[0] == 0:
        return None
    for s in (1.0, -1.0):
        dist = np.max(np.abs(U - s * u), axis=1) + np.abs(beta - s * b) / (1 + abs(b))
        i = int(np.argmin(dist))
        if dist[i] < 1e-7:
            return i
    return None
