"""Strategies and builders local to the oracle tests: settings (G, rho_in, rho_out) and networks.

Groups and representations come from ``equifuzz.strategies``; weights are drawn from a drawn integer
seed into ``numpy.random.default_rng`` so that Hypothesis shrinks the structure, not the floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from equifuzz import ReLUNet
from equifuzz import strategies as efs
from equifuzz.groups import FiniteGroup, Subgroup
from equifuzz.reps import Representation

#: Summand kinds with 0/+-1 matrices (rational representations, usable in exact mode).
RATIONAL_KINDS = ("trivial", "sign", "coset", "permutation", "signed_permutation", "regular")


@dataclass(frozen=True)
class Setting:
    """A group with an input and an output representation."""

    G: FiniteGroup
    rho_in: Representation
    rho_out: Representation

    @property
    def d(self) -> int:
        return self.rho_in.dim

    @property
    def p(self) -> int:
        return self.rho_out.dim

    def acts_trivially(self) -> bool:
        """Whether every generator acts as the identity on both sides (then every f is equivariant)."""
        return all(np.allclose(self.rho_in(g), np.eye(self.d), rtol=0, atol=1e-9)
                   and np.allclose(self.rho_out(g), np.eye(self.p), rtol=0, atol=1e-9) for g in self.G.generators)

    def __repr__(self) -> str:
        return (f"Setting({self.G.name}, rho_in={self.rho_in.name} (d={self.d}), "
                f"rho_out={self.rho_out.name} (p={self.p}))")


@st.composite
def settings(draw: st.DrawFn, *, max_order: int = 12, max_d: int = 4, max_p: int = 3, rational: bool = False,
             nontrivial: bool = False) -> Setting:
    """A drawn group with drawn input/output representations (changes of basis unless ``rational``)."""
    G = draw(efs.groups(max_order=max_order))
    if rational:
        rho_in = draw(efs.representations(G, kinds=RATIONAL_KINDS, max_dim=max_d))
        rho_out = draw(efs.representations(G, kinds=RATIONAL_KINDS, max_dim=max_p))
    else:
        rho_in = draw(efs.representations(G, max_dim=max_d, change_of_basis=draw(st.booleans())))
        rho_out = draw(efs.representations(G, max_dim=max_p, change_of_basis=draw(st.booleans())))
    s = Setting(G, rho_in, rho_out)
    if nontrivial:
        assume(not s.acts_trivially())
    return s


def random_net(s: Setting, width: int, seed: int, *, hidden_bias: bool = True, output_bias: bool = True) -> ReLUNet:
    """A width-``width`` network with standard Gaussian weights from ``seed``."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((width, s.d))
    b1 = rng.standard_normal(width) if hidden_bias else None
    W2 = rng.standard_normal((s.p, width))
    b2 = rng.standard_normal(s.p) if output_bias else None
    return ReLUNet(W1, b1, W2, b2)


@st.composite
def nets(draw: st.DrawFn, s: Setting, *, min_width: int = 1, max_width: int = 4) -> ReLUNet:
    """A random network for the setting: width, bias flags and seed drawn."""
    width = draw(st.integers(min_width, max_width))
    hb, ob = draw(st.booleans()), draw(st.booleans())
    return random_net(s, width, draw(efs.seeds()), hidden_bias=hb, output_bias=ob)


@st.composite
def integer_nets(draw: st.DrawFn, s: Setting, *, max_width: int = 4, bound: int = 2) -> ReLUNet:
    """A small network with integer weights in [-bound, bound] (exact and float modes agree on it)."""
    width = draw(st.integers(1, max_width))
    ints = st.integers(-bound, bound)

    def mat(r: int, c: int) -> list[list[int]]:
        return draw(st.lists(st.lists(ints, min_size=c, max_size=c), min_size=r, max_size=r))

    W1 = mat(width, s.d)
    b1 = draw(st.lists(ints, min_size=width, max_size=width)) if draw(st.booleans()) else None
    W2 = mat(s.p, width)
    b2 = draw(st.lists(ints, min_size=s.p, max_size=s.p)) if draw(st.booleans()) else None
    return ReLUNet(np.array(W1, float), None if b1 is None else np.array(b1, float), np.array(W2, float),
                   None if b2 is None else np.array(b2, float))


# -- layer-wise equivariant networks with planted orbits -------------------------------------------


def fixed_basis(rho: Representation, K: Subgroup) -> np.ndarray:
    """Orthonormal basis (dim, r) of the vectors fixed by rho(k) for all k in K."""
    d = rho.dim
    M = np.concatenate([rho(k) - np.eye(d) for k in K.elements])
    _, sv, vt = np.linalg.svd(M)
    rank = int(np.sum(sv > 1e-9 * max(1.0, float(sv[0]))))
    return vt[rank:].T


def orbit_subgroups(s: Setting) -> list[Subgroup]:
    """Subgroups K with a non-zero K-fixed weight and output vector (so a G/K neuron orbit is live)."""
    dual = s.rho_in.dual()
    return [K for K in s.G.subgroups() if fixed_basis(dual, K).shape[1] and fixed_basis(s.rho_out, K).shape[1]]


@dataclass(frozen=True)
class PlantedLEN:
    """A layer-wise equivariant network built orbit by orbit; ``orbit_of[i]`` is neuron i's planted orbit."""

    net: ReLUNet
    subgroups: tuple[Subgroup, ...]
    orbit_of: np.ndarray


def planted_len(s: Setting, Ks: list[Subgroup], seed: int, *, hidden_bias: bool, output_bias: bool,
                shuffle: bool = True, rescale: bool = True) -> PlantedLEN:
    """One neuron orbit G/K per K: (rho_in(r)^-T w, b, rho_out(r) v) over coset representatives r, with w, v
    K-fixed; neurons shuffled and positively rescaled (w, b, v) -> (c w, c b, v / c); b2 in Fix(rho_out)."""
    rng = np.random.default_rng(seed)
    G, dual = s.G, s.rho_in.dual()
    W1, b1, W2, orbit = [], [], [], []
    for j, K in enumerate(Ks):
        Bw, Bv = fixed_basis(dual, K), fixed_basis(s.rho_out, K)
        w = Bw @ rng.standard_normal(Bw.shape[1])
        v = Bv @ rng.standard_normal(Bv.shape[1])
        b = float(rng.standard_normal()) if hidden_bias else 0.0
        cos = G.cosets(K)
        for c in range(K.index):
            r = int(np.flatnonzero(cos == c)[0])
            W1.append(dual(r) @ w)
            b1.append(b)
            W2.append(s.rho_out(r) @ v)
            orbit.append(j)
    b2 = None
    if output_bias:
        Bf = fixed_basis(s.rho_out, G.subgroup(G.generators))
        b2 = Bf @ rng.standard_normal(Bf.shape[1])
    m = len(W1)
    W1a, b1a, W2a = np.array(W1).reshape(m, s.d), np.array(b1), np.array(W2).reshape(m, s.p).T
    orbit_of = np.array(orbit, dtype=np.int64)
    if shuffle:
        perm = rng.permutation(m)
        W1a, b1a, W2a, orbit_of = W1a[perm], b1a[perm], W2a[:, perm], orbit_of[perm]
    if rescale:
        c = np.exp(rng.uniform(-1.5, 1.5, size=m))
        W1a, b1a, W2a = W1a * c[:, None], b1a * c, W2a / c[None, :]
    net = ReLUNet(W1a, b1a if hidden_bias else None, W2a, b2)
    return PlantedLEN(net, tuple(Ks), orbit_of)


@st.composite
def planted_lens(draw: st.DrawFn, s: Setting, *, max_orbits: int = 3) -> PlantedLEN:
    """A :func:`planted_len` network with 1..max_orbits drawn orbit types."""
    subs = orbit_subgroups(s)
    Ks = draw(st.lists(st.sampled_from(subs), min_size=1, max_size=max_orbits))
    return planted_len(s, Ks, draw(efs.seeds()), hidden_bias=draw(st.booleans()), output_bias=draw(st.booleans()))


# -- helpers -------------------------------------------------------------------------------------


def to_fraction_matrix(M: np.ndarray) -> np.ndarray:
    """A 0/+-1 (or small rational) float matrix as an object array of Fractions."""
    out = np.empty(M.shape, dtype=object)
    for idx, x in np.ndenumerate(M):
        q = Fraction(float(x)).limit_denominator(1000)
        assert float(q) == float(x) or abs(float(q) - float(x)) < 1e-12
        out[idx] = q
    return out


def equivariance_gap(f: ReLUNet, s: Setting, g: int, x: np.ndarray) -> float:
    """||f(rho_in(g) x) - rho_out(g) f(x)|| computed directly in float64."""
    F = f.to_float()
    x = np.asarray(x, dtype=np.float64)
    return float(np.linalg.norm(F(s.rho_in(g) @ x) - s.rho_out(g) @ F(x)))
