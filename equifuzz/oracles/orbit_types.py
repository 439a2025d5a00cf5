"""Neuron-orbit types of layer-wise equivariant networks, and the data they contribute to a function.

A normalized layer-wise equivariant network (docs/realizability.md) is a set of *oriented hyperplane
orbits*: the orbit of one neuron (w, b, v) whose stabilizer is K+ = Stab+(H), with w in Fix_{K+}(rho_in^*)
and v in Fix_{K+}(rho_out), plus at most one constant neuron. Two kinds matter:

- **kink orbits**, on a hyperplane orbit where f has a kink: the channel there is f's, the linear part
  and constant it adds are linear in v (:class:`KinkOrbit`);
- **cancelling orbits**, on any other hyperplane orbit: their channels cancel, so they add only a
  linear part and a constant. Their type is a pair (S, chi): S = Stab(H), chi: S -> {+1, -1} the
  orientation character (kernel K+), u in U = {u : rho_in(g)^{-T} u = chi(g) u on S} and
  a in A = {a : rho_out(g) a = chi(g) a on S}. One orbit of this type has width 2 |G| / |S| and adds
  the linear map sum_{g in G/S} rho_out(g) a u^T rho_in(g)^{-1} and the constant
  beta sum_{g in G/S} rho_out(g) a (beta = 0 when chi is not trivial) (:class:`OrbitType`).

Everything is computed over the rationals when the representation matrices are rational, else in
float64 (:class:`Setting`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..groups.finite import FiniteGroup, Subgroup
from ..reps.finite import Representation
from ..reps.linalg import null_space
from .equivariance import rational_matrix
from .linsolve import FLOAT_TOL, as_field, nullspace, rank

__all__ = ["Setting", "OrbitType", "KinkOrbit", "orbit_types", "characters_of_order_two"]


@dataclass
class Setting:
    """The group and both representations as exact (Fraction) or float64 matrices, one per element."""

    G: FiniteGroup
    exact: bool
    Rin: np.ndarray    # (|G|, d, d)
    Rout: np.ndarray   # (|G|, p, p)
    Rdual: np.ndarray  # (|G|, d, d): rho_in(g)^{-T}
    hidden_bias: bool
    output_bias: bool

    @classmethod
    def build(cls, rho_in: Representation, rho_out: Representation, hidden_bias: bool, output_bias: bool,
              exact: bool | None = None) -> Setting:
        G = rho_in.group
        ins = [rational_matrix(rho_in(g)) for g in G.elements]
        outs = [rational_matrix(rho_out(g)) for g in G.elements]
        rational = all(m is not None for m in ins + outs)
        use = rational if exact is None else (exact and rational)
        if use:
            Rin = np.stack(ins)  # type: ignore[arg-type]
            Rout = np.stack(outs)  # type: ignore[arg-type]
        else:
            Rin = np.stack([rho_in(g) for g in G.elements]).astype(float)
            Rout = np.stack([rho_out(g) for g in G.elements]).astype(float)
        Rdual = np.stack([Rin[G.inv(g)].T for g in G.elements])
        return cls(G, bool(use), Rin, Rout, Rdual, hidden_bias, output_bias)

    @property
    def d(self) -> int:
        return int(self.Rin.shape[1])

    @property
    def p(self) -> int:
        return int(self.Rout.shape[1])

    def field(self, M: np.ndarray | list) -> np.ndarray:  # type: ignore[type-arg]
        return as_field(M, self.exact)

    def eigenspace(self, mats: np.ndarray, elements: list[int], chi: dict[int, int]) -> np.ndarray:
        """Basis (columns) of {x : M_g x = chi(g) x for g in elements}."""
        n = mats.shape[1]
        if not elements:
            return self.field(np.eye(n, dtype=int))
        eye = self.field(np.eye(n, dtype=int))
        M = np.concatenate([mats[g] - chi[g] * eye for g in elements])
        if self.exact:
            return nullspace(M)
        # float64: M_g - chi(g) I is round-off where it is zero in exact arithmetic (rho(e) = I + 1e-16 from a
        # change of basis): its singular values are judged against the matrices' own scale, not M's
        scale = max(1.0, float(np.max(np.abs(np.asarray(mats, dtype=np.float64)))))
        return null_space(np.asarray(M, dtype=np.float64), FLOAT_TOL, floor=scale).copy()

    def cosets(self, K: Subgroup) -> list[int]:
        """One representative per left coset gK."""
        c = self.G.cosets(K)
        return [int(np.flatnonzero(c == j)[0]) for j in range(K.index)]

    def linear_map(self, v: np.ndarray, u: np.ndarray, reps: list[int]) -> np.ndarray:
        """sum over ``reps`` of rho_out(g) v u^T rho_in(g)^{-1} (a p x d matrix)."""
        out = self.field(np.zeros((self.p, self.d), dtype=int))
        vu = np.outer(v, u)
        for g in reps:
            out = out + self.Rout[g] @ vu @ self.Rin[self.G.inv(g)]
        return out

    def vector_sum(self, v: np.ndarray, reps: list[int]) -> np.ndarray:
        out = self.field(np.zeros(self.p, dtype=int))
        for g in reps:
            out = out + self.Rout[g] @ v
        return out


def characters_of_order_two(S: Subgroup) -> list[dict[int, int]]:
    """All homomorphisms chi: S -> {+1, -1} (the trivial one first), as dicts over S's elements."""
    G = S.group
    gens = list(S.generators)
    out: list[dict[int, int]] = []
    for signs in itertools.product((1, -1), repeat=len(gens)):
        chi = {0: 1}
        frontier = [0]
        ok = True
        while frontier and ok:
            nxt = []
            for x in frontier:
                for g, s in zip(gens, signs, strict=True):
                    y = G.mul(x, g)
                    val = chi[x] * s
                    if y in chi:
                        if chi[y] != val:
                            ok = False
                            break
                    else:
                        chi[y] = val
                        nxt.append(y)
                if not ok:
                    break
            frontier = nxt
        if ok:
            out.append(chi)
    return out


@dataclass
class OrbitType:
    """A cancelling-orbit type (S, chi) with its spaces U (d x du) and A (p x da)."""

    S: Subgroup
    chi: dict[int, int]
    U: np.ndarray
    A: np.ndarray
    width: int
    cosets: list[int]  # representatives of G/S
    span: np.ndarray   # columns: vec of the linear maps over basis pairs (and constants), for the relaxation

    @property
    def reversed(self) -> bool:
        return any(v < 0 for v in self.chi.values())

    @property
    def max_useful(self) -> int:
        """More orbits than min(dim A, dim U) add nothing: every matrix of A (x) U has that rank at most."""
        return min(self.A.shape[1], self.U.shape[1])

    def label(self) -> str:
        G = self.S.group
        gens = ", ".join(G.word_str(g) for g in self.S.generators) or "e"
        sign = "" if not self.reversed else "; reversed by " + ", ".join(
            G.word_str(g) for g in self.S.generators if self.chi[g] < 0)
        return f"cancelling orbit (S = <{gens}>, order {self.S.order}{sign}; width {self.width})"


def orbit_types(st: Setting, classes: list[Subgroup], with_constants: bool) -> list[OrbitType]:
    """Every cancelling-orbit type that can carry a non-zero linear part (or constant), one per
    conjugacy class of S and character chi, duplicates (same width and same span) dropped."""
    out: list[OrbitType] = []
    seen: list[tuple[int, np.ndarray]] = []
    G = st.G
    for S in classes:
        els = list(S.elements)
        for chi in characters_of_order_two(S):
            U = st.eigenspace(st.Rdual, els, chi)
            A = st.eigenspace(st.Rout, els, chi)
            if U.shape[1] == 0 or A.shape[1] == 0:
                continue
            reps = st.cosets(S)
            cols = [st.linear_map(A[:, i], U[:, j], reps).ravel()
                    for i in range(A.shape[1]) for j in range(U.shape[1])]
            consts = []
            if with_constants and all(v > 0 for v in chi.values()):
                consts = [st.vector_sum(A[:, i], reps) for i in range(A.shape[1])]
            zero_e = st.field(np.zeros(st.p, dtype=int))
            span = np.array([np.concatenate([c, zero_e]) for c in cols]
                            + [np.concatenate([st.field(np.zeros(st.p * st.d, dtype=int)), e]) for e in consts],
                            dtype=object if st.exact else float).T
            if rank(span) == 0:
                continue
            width = 2 * G.order // S.order
            dup = False
            for w, sp in seen:
                if w == width and rank(np.concatenate([sp, span], axis=1)) == rank(sp) == rank(span):
                    dup = True
                    break
            if dup:
                continue
            seen.append((width, span))
            out.append(OrbitType(S, chi, U, A, width, reps, span))
    out.sort(key=lambda t: t.width)
    return out


@dataclass
class KinkOrbit:
    """One orbit of f's kink hyperplanes: representative (u, beta) taken from a neuron of f, the
    channel gamma of f there (relative to u), K+ = Stab+(H), and an element r reversing H (if any)."""

    index: int
    u: np.ndarray
    beta: object
    gamma: np.ndarray
    K: Subgroup
    reverser: int | None
    size: int            # |O| = |G| / |Stab(H)|
    B: np.ndarray        # basis of Fix_{K+}(rho_out), columns
    cosets: list[int]    # representatives of G/K+

    @property
    def reversed(self) -> bool:
        return self.reverser is not None

    def options(self) -> list[str]:
        """'+' / '-' (one orientation, width |O|), '+-' (both, width 2|O|), 'r' (reversed: width 2|O|)."""
        return ["r"] if self.reversed else ["+", "-", "+-"]

    def width(self, option: str) -> int:
        return self.size * (1 if option in ("+", "-") else 2)


def exact_scalar(x: object, exact: bool) -> object:
    return (x if isinstance(x, Fraction) else Fraction(float(x))) if exact else float(x)  # type: ignore[arg-type]
