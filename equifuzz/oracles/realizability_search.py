"""The search between the bounds: structures of normalized layer-wise networks, refuted or built.

A *structure* fixes the discrete part of a normalized layer-wise equivariant network
(docs/realizability.md): for each kink-hyperplane orbit of f which orientations carry neurons, how many
cancelling orbits of each type (S, chi) there are, and whether a constant neuron is used. Its width is
known. What remains is linear (the output vectors of kink orbits, the constant neuron, the output bias)
except the cancelling orbits, whose linear part a u^T is bilinear.

- :meth:`Problem.relax` drops the rank limit on the cancelling orbits (their linear parts then range
  over a linear span), so it is a linear feasibility problem, solved exactly over the rationals when
  the representations are rational. Infeasible means no network of this structure computes f.
- :meth:`Problem.construct` fixes one side of each bilinear term (the hyperplane normal u and offset,
  or the output vector a) and solves the rest exactly; the fixed values come from basis vectors (which
  make the system complete once an orbit type has min(dim A, dim U) orbits), small random integer
  vectors, and alternating least squares in float64 rounded to small fractions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..nets.relu_net import ReLUNet
from .linsolve import solve
from .orbit_types import KinkOrbit, OrbitType, Setting

__all__ = ["Structure", "Problem"]


@dataclass(frozen=True)
class Structure:
    """Orientation option per kink orbit, number of cancelling orbits per type, constant neuron."""

    kink: tuple[str, ...]
    counts: tuple[int, ...]
    const: bool
    width: int

    def describe(self, kinks: list[KinkOrbit], types: list[OrbitType]) -> str:
        names = {"+": "one orientation (+)", "-": "one orientation (-)", "+-": "both orientations",
                 "r": "reversed orbit"}
        parts = [f"kink orbit {k.index} (size {k.size}): {names[o]}" for k, o in zip(kinks, self.kink, strict=True)]
        parts += [f"{n} x {t.label()}" for t, n in zip(types, self.counts, strict=True) if n]
        if self.const:
            parts.append("a constant neuron")
        return f"width {self.width}: " + ("; ".join(parts) if parts else "no neurons")


@dataclass
class _Orbit:
    """A cancelling orbit during construction: its type and the fixed side (u, beta) or a."""

    t: OrbitType
    u: np.ndarray | None = None
    beta: Any = 0
    a: np.ndarray | None = None


class Problem:
    """The equations 'this structure computes f' for one f: kink channels, linear part, constant."""

    def __init__(self, st: Setting, fst: Setting, f: ReLUNet, kinks: list[KinkOrbit], types: list[OrbitType],
                 seed: int = 0) -> None:
        self.st, self.fst, self.f, self.kinks, self.types = st, fst, f, kinks, types
        self.p, self.d = st.p, st.d
        self.e_rows = not st.output_bias
        self.const_ok = st.hidden_bias and not st.output_bias
        self.beta_ok = st.hidden_bias and not st.output_bias
        W1, b1, W2, b2 = f.W1, f.b1, f.W2, f.b2
        half = Fraction(1, 2) if st.exact else 0.5
        self.L_f = half * (W2 @ W1)
        e = b2.copy()
        for i in range(f.width):
            if any(x != 0 for x in W1[i]):
                e = e + half * W2[:, i] * b1[i]
            elif b1[i] > 0:
                e = e + W2[:, i] * b1[i]
        self.e_f = e
        parts = [k.gamma for k in kinks] + [self.L_f.ravel()] + ([self.e_f] if self.e_rows else [])
        self.target = st.field(np.concatenate(parts) if parts else np.zeros(0))
        self.rng = np.random.default_rng(seed)
        self._relax_cache: dict[tuple, bool] = {}  # type: ignore[type-arg]
        G = st.G
        allg = list(G.elements)
        self.fixG = st.eigenspace(st.Rout, allg, {g: 1 for g in allg})

    # -- columns -------------------------------------------------------------------------------
    def _col(self, st: Setting, chan: tuple[int, np.ndarray] | None, L: np.ndarray | None,
             e: np.ndarray | None) -> np.ndarray:
        p, d = self.p, self.d
        J = len(self.kinks)
        z = st.field(np.zeros(J * p + p * d + (p if self.e_rows else 0), dtype=int))
        if chan is not None:
            j, c = chan
            z[j * p:(j + 1) * p] = c
        if L is not None:
            z[J * p:J * p + p * d] = L.ravel()
        if e is not None and self.e_rows:
            z[J * p + p * d:] = e
        return z

    def _kink_cols(self, st: Setting, j: int, option: str) -> list[np.ndarray]:
        k = self.kinks[j]
        half = Fraction(1, 2) if st.exact else 0.5
        u = st.field(k.u)
        beta = _scalar(k.beta, st.exact)
        B = st.field(k.B)
        cols = []
        for s in ((1,) if option in ("+", "r") else (-1,) if option == "-" else (1, -1)):
            for i in range(B.shape[1]):
                b = B[:, i]
                chan = b + st.Rout[k.reverser] @ b if option == "r" else b
                L = (s * half) * st.linear_map(b, u, k.cosets)
                e = (s * half * beta) * st.vector_sum(b, k.cosets)
                cols.append(self._col(st, (j, chan), L, e))
        return cols

    def _const_cols(self, st: Setting) -> list[np.ndarray]:
        F = st.field(self.fixG)
        return [self._col(st, None, None, F[:, i]) for i in range(F.shape[1])]

    def _base_cols(self, st: Setting, s: Structure) -> list[np.ndarray]:
        cols = []
        for j, opt in enumerate(s.kink):
            cols += self._kink_cols(st, j, opt)
        if s.const:
            cols += self._const_cols(st)
        return cols

    # -- relaxation ----------------------------------------------------------------------------
    def relax(self, s: Structure) -> bool:
        """Whether the structure can match f with the rank limit of the cancelling orbits dropped."""
        support = tuple(n > 0 for n in s.counts)
        key = (s.kink, support, s.const)
        if key not in self._relax_cache:
            st = self.st
            cols = self._base_cols(st, s)
            for t, on in zip(self.types, support, strict=True):
                if not on:
                    continue
                for c in range(t.span.shape[1]):
                    col = t.span[:, c]
                    L = col[:self.p * self.d]
                    e = col[self.p * self.d:]
                    cols.append(self._col(st, None, L, e))
            M = self._stack(st, cols)
            x, _ = solve(M, self.target)
            self._relax_cache[key] = x is not None
        return self._relax_cache[key]

    def _stack(self, st: Setting, cols: list[np.ndarray]) -> np.ndarray:
        n = self.target.size
        if not cols:
            return st.field(np.zeros((n, 0), dtype=int))
        return np.stack(cols, axis=1)

    # -- construction --------------------------------------------------------------------------
    def _orbit_cols(self, st: Setting, o: _Orbit) -> list[np.ndarray]:
        t = o.t
        if o.u is not None:  # u, beta fixed: unknown a over the basis of A
            A = st.field(t.A)
            u = st.field(o.u)
            beta = _scalar(o.beta, st.exact)
            return [self._col(st, None, st.linear_map(A[:, i], u, t.cosets), beta * st.vector_sum(A[:, i], t.cosets))
                    for i in range(A.shape[1])]
        U = st.field(t.U)
        assert o.a is not None
        a = st.field(o.a)
        cols = [self._col(st, None, st.linear_map(a, U[:, j], t.cosets), None) for j in range(U.shape[1])]
        if self.beta_ok and not t.reversed:
            cols.append(self._col(st, None, None, st.vector_sum(a, t.cosets)))
        return cols

    def _solve_orbits(self, st: Setting, s: Structure, orbits: list[_Orbit]) -> tuple[np.ndarray | None, float]:
        cols = self._base_cols(st, s)
        for o in orbits:
            cols += self._orbit_cols(st, o)
        tgt = self.target if st.exact else self.target.astype(float)
        return solve(self._stack(st, cols), tgt)

    def construct(self, s: Structure, tries: int = 6, sweeps: int = 30) -> ReLUNet | None:
        """A network of this structure computing f, or None when none of the tried fixings works."""
        orbits_t = [t for t, n in zip(self.types, s.counts, strict=True) for _ in range(n)]
        if not orbits_t:
            x, _ = self._solve_orbits(self.st, s, [])
            return None if x is None else self._build(s, [], x)
        starts: list[list[_Orbit]] = []
        # basis fixings: complete when each type has min(dim A, dim U) orbits
        by_type: dict[int, list[int]] = {}
        for i, t in enumerate(orbits_t):
            by_type.setdefault(id(t), []).append(i)
        basis_start: list[_Orbit] = []
        for i, t in enumerate(orbits_t):
            j = by_type[id(t)].index(i)
            if t.U.shape[1] <= t.A.shape[1]:
                basis_start.append(_Orbit(t, u=t.U[:, j % t.U.shape[1]], beta=0))
            else:
                basis_start.append(_Orbit(t, a=t.A[:, j % t.A.shape[1]]))
        starts.append(basis_start)
        for _ in range(tries):
            starts.append([_Orbit(t, u=self._rand_int(t.U), beta=self._rand_beta(t)) for t in orbits_t])
        for orbits in starts:
            x, _ = self._solve_orbits(self.st, s, orbits)
            if x is not None:
                return self._build(s, orbits, x)
        for _ in range(tries):
            fitted = self._als(s, orbits_t, sweeps)
            if fitted is None:
                continue
            x, _ = self._solve_orbits(self.st, s, fitted)
            if x is not None:
                return self._build(s, fitted, x)
        return None

    def _rand_int(self, B: np.ndarray) -> np.ndarray:
        c = np.asarray(self.rng.integers(-3, 4, size=B.shape[1]))
        if not c.any():
            c[0] = 1
        return B @ self.st.field(c)

    def _rand_beta(self, t: OrbitType) -> object:
        if self.beta_ok and not t.reversed:
            return Fraction(int(self.rng.integers(-3, 4))) if self.st.exact else float(self.rng.integers(-3, 4))
        return 0

    def _als(self, s: Structure, orbits_t: list[OrbitType], sweeps: int) -> list[_Orbit] | None:
        """Alternating least squares in float64 over (u, beta) and a; the fixed u rounded to fractions."""
        fst = self.fst
        tgt = self.target.astype(float)
        nb = len(self._base_cols(fst, s))
        us = [t.U.astype(float) @ self.rng.standard_normal(t.U.shape[1]) for t in orbits_t]
        betas = [float(self.rng.standard_normal()) if (self.beta_ok and not t.reversed) else 0.0 for t in orbits_t]
        res = np.inf
        for _ in range(sweeps):
            orbits = [_Orbit(t, u=u, beta=b) for t, u, b in zip(orbits_t, us, betas, strict=True)]
            M = self._stack(fst, self._base_cols(fst, s) + [c for o in orbits for c in self._orbit_cols(fst, o)])
            x, *_ = np.linalg.lstsq(M, tgt, rcond=None)
            o_ = nb
            as_ = []
            for t in orbits_t:
                as_.append(t.A.astype(float) @ x[o_:o_ + t.A.shape[1]])
                o_ += t.A.shape[1]
            orbits = [_Orbit(t, a=a) for t, a in zip(orbits_t, as_, strict=True)]
            M = self._stack(fst, self._base_cols(fst, s) + [c for o in orbits for c in self._orbit_cols(fst, o)])
            x, *_ = np.linalg.lstsq(M, tgt, rcond=None)
            res = float(np.linalg.norm(M @ x - tgt))
            o_ = nb
            for i, t in enumerate(orbits_t):
                us[i] = t.U.astype(float) @ x[o_:o_ + t.U.shape[1]]
                o_ += t.U.shape[1]
                if self.beta_ok and not t.reversed:
                    betas[i] = float(x[o_])
                    o_ += 1
            if res < 1e-12 * (1 + float(np.linalg.norm(tgt))):
                break
        if res > 1e-6 * (1 + float(np.linalg.norm(tgt))):
            return None
        out = []
        for t, u, b in zip(orbits_t, us, betas, strict=True):
            scale = float(np.max(np.abs(u))) if u.size else 0.0
            if scale == 0.0:
                return None
            if self.st.exact:
                uq = self.st.field([Fraction(float(x) / scale).limit_denominator(1000) for x in u])
                bq: object = Fraction(b / scale).limit_denominator(1000)
            else:
                uq, bq = u / scale, b / scale
            out.append(_Orbit(t, u=uq, beta=bq))
        return out

    # -- the network ---------------------------------------------------------------------------
    def _build(self, s: Structure, orbits: list[_Orbit], x: np.ndarray) -> ReLUNet:
        st = self.st
        zero = Fraction(0) if st.exact else 0.0
        one = Fraction(1) if st.exact else 1.0
        W1: list[np.ndarray] = []
        b1: list[object] = []
        W2: list[np.ndarray] = []
        o = 0
        for j, opt in enumerate(s.kink):
            k = self.kinks[j]
            B, u = st.field(k.B), st.field(k.u)
            beta = _scalar(k.beta, st.exact)
            for sg in ((1,) if opt in ("+", "r") else (-1,) if opt == "-" else (1, -1)):
                v = B @ x[o:o + B.shape[1]]
                o += B.shape[1]
                for g in k.cosets:
                    W1.append(sg * (st.Rdual[g] @ u))
                    b1.append(sg * beta)
                    W2.append(st.Rout[g] @ v)
        if s.const:
            F = st.field(self.fixG)
            c = F @ x[o:o + F.shape[1]]
            o += F.shape[1]
            W1.append(st.field(np.zeros(self.d, dtype=int)))
            b1.append(one)
            W2.append(c)
        for orb in orbits:
            t = orb.t
            if orb.u is not None:
                A = st.field(t.A)
                a = A @ x[o:o + A.shape[1]]
                o += A.shape[1]
                u, beta = st.field(orb.u), orb.beta
            else:
                U = st.field(t.U)
                u = U @ x[o:o + U.shape[1]]
                o += U.shape[1]
                assert orb.a is not None
                a = st.field(orb.a)
                beta = zero
                if self.beta_ok and not t.reversed:
                    beta = x[o]
                    o += 1
            for g in t.cosets:
                for sg in (1, -1):
                    W1.append(sg * (st.Rdual[g] @ u))
                    b1.append(sg * beta)  # type: ignore[operator]
                    W2.append(sg * (st.Rout[g] @ a))
        d, p = self.d, self.p
        dtype = object if st.exact else float
        W1a = np.array(W1, dtype=dtype).reshape(-1, d)
        W2a = np.array(W2, dtype=dtype).reshape(-1, p).T
        b1a = np.array(b1 + [None], dtype=object)[:-1] if st.exact else np.array(b1, dtype=float)
        net0 = ReLUNet(W1a, b1a if st.hidden_bias else None, W2a, None, exact=st.exact)
        b2 = None
        if st.output_bias:
            b2 = self.e_f - _constant(net0, st.exact)
        return ReLUNet(W1a, b1a if st.hidden_bias else None, W2a, b2, exact=st.exact)

    # -- enumeration ---------------------------------------------------------------------------
    def structures(self, width: int, limit: int | None = None) -> tuple[list[Structure], bool]:
        """The structures of width exactly ``width``, and whether more than ``limit`` exist (then only
        the first ``limit`` found are returned)."""
        kink_opts = [k.options() for k in self.kinks]
        out: list[Structure] = []
        for combo in itertools.product(*kink_opts):
            wk = sum(k.width(o) for k, o in zip(self.kinks, combo, strict=True))
            for const in ((False, True) if self.const_ok else (False,)):
                slack = width - wk - int(const)
                if slack < 0:
                    continue
                ms, full = _multisets(self.types, slack, None if limit is None else limit - len(out))
                for counts in ms:
                    w = wk + int(const) + sum(n * t.width for n, t in zip(counts, self.types, strict=True))
                    if w == width:
                        out.append(Structure(tuple(combo), counts, const, w))
                if full or (limit is not None and len(out) >= limit):
                    out.sort(key=lambda s: (sum(s.counts), s.kink, s.counts))
                    return out[:limit], True
        out.sort(key=lambda s: (sum(s.counts), s.kink, s.counts))
        return out, False


def _multisets(types: list[OrbitType], room: int, limit: int | None = None) -> tuple[list[tuple[int, ...]], bool]:
    """Counts per type (each at most max_useful) with total width <= room; True when cut at ``limit``."""
    out: list[tuple[int, ...]] = []

    class _Full(Exception):
        pass

    def rec(i: int, left: int, acc: list[int]) -> None:
        if i == len(types):
            out.append(tuple(acc))
            if limit is not None and len(out) > limit:
                raise _Full
            return
        t = types[i]
        for n in range(0, t.max_useful + 1):
            if n * t.width > left:
                break
            rec(i + 1, left - n * t.width, acc + [n])

    try:
        rec(0, room, [])
    except _Full:
        return out, True
    return out, False


def _constant(net: ReLUNet, exact: bool) -> np.ndarray:
    """The constant e of the canonical form without b2: 1/2 sum v_i b_i (w_i != 0) + sum v_i relu(b_i) (w_i = 0)."""
    half = Fraction(1, 2) if exact else 0.5
    e = net.b2 * 0
    for i in range(net.width):
        if any(x != 0 for x in net.W1[i]):
            e = e + half * net.W2[:, i] * net.b1[i]
        elif net.b1[i] > 0:
            e = e + net.W2[:, i] * net.b1[i]
    return e


def _scalar(x: Any, exact: bool) -> Any:
    """``x`` as a Fraction (exact) or a float."""
    if exact:
        return x if isinstance(x, Fraction) else Fraction(x) if isinstance(x, int) else Fraction(float(x))
    return float(x)
