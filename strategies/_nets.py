"""Strategies for 2-layer ReLU networks: unconstrained, layer-wise equivariant, equivariant-not-layer-wise.

Structure (width, biases, orbit types, number of reversed hyperplane orbits, which element reverses
them) is drawn through Hypothesis so that failures shrink towards few neurons, large stabilizers and
small integer weights; the numbers themselves come from a drawn seed fed to ``numpy.random.default_rng``.

Every equivariant draw is a :class:`DrawnNet` tagged with what it is:

- ``kind="len"``: layer-wise equivariant, built orbit by orbit from a hidden permutation
  representation sum_j R[G/K_j] (``construction="orbits"``) or as the orbit-merged symmetrization
  of a random network (``construction="symmetrized"``, T5);
- ``kind="gen-not-len"``: equivariant but not layer-wise at its width (``construction="flipped"``):
  Examples A and B generalized. Pick hyperplanes through 0 reversed by some element s
  (rho_in(s)^{-T} u = -u); a layer-wise network needs both orientations relu(u.x), relu(-u.x) of each
  (T4), here each hyperplane of the orbit carries ONE neuron relu(+-u.x) = |u.x|/2 +- u.x/2. The
  channels c_k of the orbits are chosen in the null space of the non-equivariant part of the linear
  remainder (Example A: sum of the u's is 0; Example B: sum a_k u_k = 0), so the function is
  equivariant while its width is half the layer-wise lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from equifuzz.errors import InvalidStrategyArgument as InvalidArgument
from equifuzz.groups import FiniteGroup, Subgroup
from equifuzz.nets import ReLUNet
from equifuzz.oracles import compensate
from equifuzz.reps import PermutationRepresentation, Representation, subgroup_from_elements

from ._checks import (
    MAX_COUNT,
    MAX_DIM,
    MAX_WIDTH,
    check_bool,
    check_flags,
    check_int,
    check_int_or_strategy,
    check_names,
    check_rep,
    check_reps,
    check_seed,
    check_subgroups,
)
from ._groups import groups, seeds
from ._reps import KINDS, representations

__all__ = [
    "DrawnNet",
    "EQUIVARIANT_KINDS",
    "relu_nets",
    "layerwise_nets",
    "equivariant_nets",
    "build_relu_net",
    "build_layerwise_net",
    "build_symmetrized_net",
    "build_flipped_net",
    "reversing_elements",
    "rep_pairs",
]

#: Kinds drawn by :func:`equivariant_nets`, simplest first.
EQUIVARIANT_KINDS: tuple[str, ...] = ("len", "gen-not-len")

_SEEDS = seeds()
_MAX_WIDTH = 24
# defaults (module-level singletons: strategies are immutable values)
WIDTHS = st.integers(1, 8)
BOOLEANS = st.booleans()
INTEGER_FIRST = st.sampled_from((True, False))  # integer weights are the simpler draw


@dataclass(frozen=True)
class DrawnNet:
    """A drawn network with the representations it is equivariant for and how it was built.

    ``kind`` is ``"len"``, ``"gen-not-len"`` or ``"gn"`` (no claim); ``construction`` is ``"orbits"``,
    ``"symmetrized"``, ``"flipped"`` or ``"random"``. ``hidden`` is the hidden permutation representation
    of an ``"orbits"`` net (neuron i is point i); ``stabilizers`` are the K_j of its orbits, or for a
    ``"flipped"`` net the stabilizers of its hyperplane orbits; ``lower`` is the T4 lower bound on the
    width of a layer-wise network computing the same function, where the construction knows it.
    """

    net: ReLUNet
    rho_in: Representation
    rho_out: Representation
    kind: str
    construction: str
    seed: int
    hidden: PermutationRepresentation | None = field(default=None, repr=False, compare=False)
    stabilizers: tuple[Subgroup, ...] = field(default=(), repr=False, compare=False)
    lower: int | None = None

    @property
    def group(self) -> FiniteGroup:
        return self.rho_in.group

    @property
    def width(self) -> int:
        return self.net.width

    def __repr__(self) -> str:
        n = self.net
        return (f"DrawnNet(kind={self.kind!r}, construction={self.construction!r}, seed={self.seed}, "
                f"group={self.group.name}, rho_in={self.rho_in.name}, rho_out={self.rho_out.name}, "
                f"width={n.width}, hidden_bias={n.hidden_bias}, output_bias={n.output_bias}, lower={self.lower})")


# ---------------------------------------------------------------------------------------------
# small linear algebra


def _projector(mats: np.ndarray, elements: Sequence[int], weights: np.ndarray | None = None) -> np.ndarray:
    """1/|K| sum_{k in K} w_k rho(k): the projector onto Fix_K (weights 1) or onto a character's isotypic part."""
    idx = list(elements)
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=np.float64)
    return np.einsum("k,kij->ij", w, mats[idx]) / len(idx)


def _range_basis(P: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Orthonormal basis (columns) of the range of P."""
    if P.size == 0:
        return np.zeros((P.shape[0], 0))
    u, s, _ = np.linalg.svd(P)
    rank = int(np.sum(s > tol * max(1.0, float(s[0]) if s.size else 1.0)))
    return u[:, :rank]


def _null_basis(A: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Orthonormal basis (columns) of the null space of A."""
    n = A.shape[1]
    if A.shape[0] == 0:
        return np.eye(n)
    _, s, vt = np.linalg.svd(A)
    rank = int(np.sum(s > tol * max(1.0, float(s[0]) if s.size else 1.0)))
    return vt[rank:].T


def _coset_reps(G: FiniteGroup, K: Subgroup) -> tuple[list[int], np.ndarray]:
    """Representatives r_j of the left cosets G/K (first element of each) and ``coset[g]``."""
    c = G.cosets(K)
    return [int(np.flatnonzero(c == j)[0]) for j in range(K.index)], c


def _snap(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Entries below 1e-12 * scale set to exactly 0 (round-off left by projectors)."""
    x = np.array(x, dtype=np.float64)
    x[np.abs(x) < 1e-12 * max(scale, 1e-300)] = 0.0
    return x


def _draw_vector(rng: np.random.Generator, n: int, integer: bool) -> np.ndarray:
    return rng.integers(-2, 3, size=n).astype(float) if integer else rng.standard_normal(n)


def _as_strategy(x: Any, name: str) -> SearchStrategy[Any]:
    """A bool argument (True, False or a strategy for them) as a strategy."""
    return x if isinstance(x, SearchStrategy) else st.just(check_bool(name, x))


_check_reps = check_reps


# ---------------------------------------------------------------------------------------------
# builders (plain functions of a seed; the strategies below draw their arguments)


def build_relu_net(d: int, p: int, width: int, seed: int, *, hidden_bias: bool = True, output_bias: bool = True,
                   integer_weights: bool = False, bound: int = 2) -> ReLUNet:
    """A width-``width`` network R^d -> R^p with N(0, 1) weights, or integers in [-bound, bound]."""
    d, p = check_int("d", d, min=1, max=MAX_DIM), check_int("p", p, min=1, max=MAX_DIM)
    width, seed = check_int("width", width, min=0, max=MAX_WIDTH), check_seed(seed)
    bound = check_int("bound", bound, min=0, max=2**31)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights)
    rng = np.random.default_rng(seed)

    def draw(*shape: int) -> np.ndarray:
        if integer_weights:
            return rng.integers(-bound, bound + 1, size=shape).astype(float)
        return rng.standard_normal(shape)

    return ReLUNet(draw(width, d), draw(width) if hidden_bias else None, draw(p, width),
                   draw(p) if output_bias else None)


def build_layerwise_net(rho_in: Representation, rho_out: Representation, stabilizers: Sequence[Subgroup],
                        seed: int, *, hidden_bias: bool = True, output_bias: bool = True,
                        integer_weights: bool = False) -> tuple[ReLUNet, PermutationRepresentation]:
    """A layer-wise equivariant network with hidden representation sum_j R[G/K_j] (K_j = ``stabilizers``).

    Orbit j has a representative neuron (w, b, v) with w in Fix_{K_j}(rho_in^*), v in Fix_{K_j}(rho_out)
    (projections of a random integer or Gaussian vector) and b free; neuron r K_j of the orbit is
    (rho_in^*(r) w, b, rho_out(r) v). The output bias is projected onto Fix_G(rho_out).
    """
    _check_reps(rho_in, rho_out)
    stabilizers = check_subgroups("stabilizers", stabilizers, rho_in.group)
    seed = check_seed(seed)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights)
    if sum(K.index for K in stabilizers) > MAX_WIDTH:
        raise InvalidArgument(f"the stabilizers give {sum(K.index for K in stabilizers)} neurons, more than "
                              f"{MAX_WIDTH}; use fewer or larger subgroups")
    G = rho_in.group
    rng = np.random.default_rng(seed)
    dual = rho_in.dual().matrices
    out = rho_out.matrices
    d, p = rho_in.dim, rho_out.dim
    rows_w, rows_b, cols_v, perms = [], [], [], []
    offset = 0
    for K in stabilizers:
        G._own(K)
        reps_, coset = _coset_reps(G, K)
        z_w, z_v = _draw_vector(rng, d, integer_weights), _draw_vector(rng, p, integer_weights)
        w = _snap(_projector(dual, K.elements) @ z_w, float(np.abs(z_w).max(initial=0.0)))
        v = _snap(_projector(out, K.elements) @ z_v, float(np.abs(z_v).max(initial=0.0)))
        b = float(rng.integers(-2, 3)) if integer_weights else float(rng.standard_normal())
        for r in reps_:
            rows_w.append(_snap(dual[r] @ w, float(np.abs(w).max(initial=0.0))))
            rows_b.append(b)
            cols_v.append(_snap(out[r] @ v, float(np.abs(v).max(initial=0.0))))
        # point j (coset r_j K) goes to coset g r_j K under g
        perms.append(coset[G.table[:, reps_]] + offset)
        offset += len(reps_)
    b2 = None
    if output_bias:
        z = _draw_vector(rng, p, integer_weights)
        b2 = _snap(_projector(out, G.elements) @ z, float(np.abs(z).max(initial=0.0)))
    net = ReLUNet(np.array(rows_w).reshape(-1, d), np.array(rows_b) if hidden_bias else None,
                  np.array(cols_v).reshape(-1, p).T, b2)
    hidden = PermutationRepresentation(G, np.concatenate(perms, axis=1) if perms else np.zeros((G.order, 0), int),
                                       name="+".join(f"R[G/{K.order}]" for K in stabilizers) or "0")
    return net, hidden


def build_symmetrized_net(rho_in: Representation, rho_out: Representation, width: int, seed: int, *,
                          hidden_bias: bool = True, output_bias: bool = True, integer_weights: bool = False,
                          merge: bool = True) -> ReLUNet:
    """The symmetrization S f (T5a, width |G| m) of a random width-``width`` network, orbit-merged (T5b)
    unless ``merge=False``: layer-wise equivariant."""
    _check_reps(rho_in, rho_out)
    width, seed = check_int("width", width, min=1, max=MAX_WIDTH), check_seed(seed)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights, merge=merge)
    if width * rho_in.group.order > MAX_WIDTH * 16:
        raise InvalidArgument(f"the symmetrization would have width {width * rho_in.group.order}: too wide")
    base = build_relu_net(rho_in.dim, rho_out.dim, width, seed, hidden_bias=hidden_bias, output_bias=output_bias,
                          integer_weights=integer_weights)
    S = compensate(base, rho_in, rho_out, merge=merge)
    scale = max(float(np.abs(a).max(initial=0.0)) for a in base.float_params())
    W1, b1, W2, b2 = (_snap(a, scale) for a in S.float_params())  # round-off of cancelled averages -> 0
    return ReLUNet(W1, b1 if S.hidden_bias else None, W2, b2 if S.output_bias else None)


def reversing_elements(rho_in: Representation) -> list[tuple[int, np.ndarray]]:
    """(s, P_s) for the elements s != e whose dual rho_in^*(s) has eigenvalue -1, one per distinct P_s.

    P_s = 1/n sum_j (-1)^j rho_in^*(s)^j (n = order of s, even) projects onto {u : rho_in^*(s) u = -u};
    it is rational whenever rho_in is, so projected integer vectors stay rational.
    """
    check_rep("rho_in", rho_in)
    G = rho_in.group
    dual = rho_in.dual().matrices
    out: list[tuple[int, np.ndarray]] = []
    for s in G.elements:
        n = G.element_order(s)
        if s == 0 or n % 2:
            continue
        powers = [G.power(s, j) for j in range(n)]
        P = _projector(dual, powers, np.array([(-1.0) ** j for j in range(n)]))
        if np.max(np.abs(P)) < 1e-9:
            continue
        if any(np.allclose(P, Q, atol=1e-9) for _, Q in out):
            continue
        out.append((s, P))
    return out


@dataclass
class _FlippedOrbit:
    normals: np.ndarray  # (k, d): rho_in^*(r_j) u with a random orientation sign each
    reps: list[int]  # coset representatives r_j
    stabilizer: Subgroup  # Stab(H) (both orientations)
    channel_basis: np.ndarray  # (p, f): basis of Fix_Stab(H)(rho_out)
    remainder: np.ndarray  # (p*d, f): non-equivariant part of the linear remainder per basis channel


def _hyperplane_orbit(G: FiniteGroup, dual: np.ndarray, u: np.ndarray) -> tuple[list[int], list[int]]:
    """Coset representatives of the hyperplane orbit of {u.x = 0} and its stabilizer (both orientations)."""
    imgs = dual @ u  # (|G|, d)
    unit = imgs / np.linalg.norm(imgs, axis=1, keepdims=True)
    reps_: list[int] = []
    stab: list[int] = []
    for g in G.elements:
        same = [i for i, r in enumerate(reps_) if min(np.max(np.abs(unit[g] - unit[r])),
                                                      np.max(np.abs(unit[g] + unit[r]))) < 1e-9]
        if same:
            if same[0] == 0:
                stab.append(g)
            continue
        if g == 0:
            stab.append(0)
        reps_.append(g)
    return reps_, stab


def _flipped_orbit(rho_in: Representation, rho_out: Representation, s: int, P: np.ndarray,
                   rng: np.random.Generator, integer: bool) -> _FlippedOrbit | None:
    G = rho_in.group
    dual = rho_in.dual().matrices
    out = rho_out.matrices
    d = rho_in.dim
    u = P @ _draw_vector(rng, d, integer)
    if np.linalg.norm(u) < 1e-6:
        u = P @ rng.standard_normal(d)
    if np.linalg.norm(u) < 1e-6:
        return None
    reps_, stab_elems = _hyperplane_orbit(G, dual, u)
    K = subgroup_from_elements(G, stab_elems)
    C = _range_basis(_projector(out, K.elements))
    if C.shape[1] == 0:
        return None
    signs = rng.choice([-1.0, 1.0], size=len(reps_))
    normals = np.stack([sg * (dual[r] @ u) for sg, r in zip(signs, reps_, strict=True)])
    inv = out[G.inverses]
    cols = []
    for j in range(C.shape[1]):
        L = 0.5 * sum(np.outer(out[r] @ C[:, j], n) for r, n in zip(reps_, normals, strict=True))
        avg = np.einsum("gpq,qd,gde->pe", inv, L, rho_in.matrices) / G.order
        cols.append((L - avg).ravel())
    return _FlippedOrbit(normals, reps_, K, C, np.stack(cols, axis=1))


def build_flipped_net(rho_in: Representation, rho_out: Representation, picks: Sequence[int], seed: int, *,
                      hidden_bias: bool = False, output_bias: bool = False, integer_weights: bool = True,
                      max_width: int = _MAX_WIDTH, extra_tries: int = 6) -> tuple[ReLUNet, list[Subgroup]] | None:
    """An equivariant, not layer-wise network with one neuron per reversed hyperplane (None: none found).

    ``picks[k]`` chooses the reversing element of orbit k among :func:`reversing_elements` (modulo
    their number). When the drawn orbits admit no channels with an equivariant linear remainder, up to
    ``extra_tries`` further orbits are added (from the seed) while the width stays <= ``max_width``.
    Returns the network and the stabilizers Stab(H) of its hyperplane orbits; every orbit is reversed,
    so the layer-wise lower bound (T4) is twice the width.
    """
    _check_reps(rho_in, rho_out)
    if isinstance(picks, (str, bytes, dict)) or not hasattr(picks, "__iter__"):
        raise InvalidArgument(f"picks must be a list of non-negative ints, got {picks!r}")
    picks = [check_int("picks[i]", k, min=0) for k in picks]
    seed = check_seed(seed)
    max_width = check_int("max_width", max_width, min=1, max=MAX_WIDTH)
    extra_tries = check_int("extra_tries", extra_tries, min=0, max=MAX_COUNT)
    check_flags(hidden_bias=hidden_bias, output_bias=output_bias, integer_weights=integer_weights)
    rev = reversing_elements(rho_in)
    if not rev or not picks:
        return None
    rng = np.random.default_rng(seed)
    d, p = rho_in.dim, rho_out.dim
    orbits: list[_FlippedOrbit] = []
    queue = [int(k) % len(rev) for k in picks] + [int(rng.integers(len(rev))) for _ in range(extra_tries)]
    width = 0
    for step, k in enumerate(queue):
        s, P = rev[k]
        orb = _flipped_orbit(rho_in, rho_out, s, P, rng, integer_weights)
        if orb is None or width + len(orb.reps) > max_width:
            continue
        if any(_same_hyperplanes(orb, o) for o in orbits):
            continue
        orbits.append(orb)
        width += len(orb.reps)
        if step + 1 < len(picks):
            continue
        A = np.concatenate([o.remainder for o in orbits], axis=1)
        N = _null_basis(A)
        if N.shape[1] == 0:
            continue
        theta = N @ rng.standard_normal(N.shape[1])
        theta = theta / np.max(np.abs(theta))
        W1, W2, stabs = [], [], []
        o = 0
        for orb in orbits:
            f = orb.channel_basis.shape[1]
            c = orb.channel_basis @ theta[o:o + f]
            o += f
            if np.linalg.norm(c) < 1e-6:
                continue
            stabs.append(orb.stabilizer)
            for r, n in zip(orb.reps, orb.normals, strict=True):
                W1.append(n)
                W2.append(rho_out.matrices[r] @ c)
        if not W1:
            continue
        m = len(W1)
        b2 = None
        if output_bias:
            z = _draw_vector(rng, p, integer_weights)
            b2 = _snap(_projector(rho_out.matrices, rho_in.group.elements) @ z, float(np.abs(z).max(initial=0.0)))
        net = ReLUNet(np.array(W1).reshape(m, d), np.zeros(m) if hidden_bias else None,
                      np.array(W2).reshape(m, p).T, b2)
        return net, stabs
    return None


def _same_hyperplanes(a: _FlippedOrbit, b: _FlippedOrbit) -> bool:
    """Whether two hyperplane orbits share a hyperplane (orbits are then equal)."""
    ua = a.normals / np.linalg.norm(a.normals, axis=1, keepdims=True)
    ub = b.normals[:1] / np.linalg.norm(b.normals[:1])
    return bool(np.any(np.minimum(np.max(np.abs(ua - ub), axis=1), np.max(np.abs(ua + ub), axis=1)) < 1e-9))


# ---------------------------------------------------------------------------------------------
# strategies


def relu_nets(d: int, p: int, width: int | SearchStrategy[int] = WIDTHS,
              hidden_bias: bool | SearchStrategy[bool] = BOOLEANS,
              output_bias: bool | SearchStrategy[bool] = BOOLEANS,
              integer_weights: bool | SearchStrategy[bool] = INTEGER_FIRST
              ) -> SearchStrategy[ReLUNet]:
    """Unconstrained networks R^d -> R^p (no equivariance claim).

    Shrinks towards width 1, no biases and integer weights in [-1, 1]; the weights come from a drawn
    seed (N(0, 1), or integers in [-bound, bound] with a drawn bound 1..3).
    """
    d, p = check_int("d", d, min=1, max=MAX_DIM), check_int("p", p, min=1, max=MAX_DIM)
    width = check_int_or_strategy("width", width, 1, MAX_WIDTH)
    widths = width if isinstance(width, SearchStrategy) else st.just(width)
    hb, ob, iw = (_as_strategy(x, n) for x, n in ((hidden_bias, "hidden_bias"), (output_bias, "output_bias"),
                                                   (integer_weights, "integer_weights")))
    return _draw_relu_net(int(d), int(p), widths, hb, ob, iw)


@st.composite
def _draw_relu_net(draw: st.DrawFn, d: int, p: int, widths: SearchStrategy[int], hb: SearchStrategy[bool],
                   ob: SearchStrategy[bool], iw: SearchStrategy[bool]) -> ReLUNet:
    m = draw(widths)
    integer = draw(iw)
    bound = draw(st.integers(1, 3)) if integer else 1
    return build_relu_net(d, p, int(m), draw(_SEEDS), hidden_bias=draw(hb), output_bias=draw(ob),
                          integer_weights=integer, bound=bound)


@st.composite
def _stabilizer_lists(draw: st.DrawFn, subs: Sequence[Subgroup], max_orbits: int, max_width: int) -> list[Subgroup]:
    """Lists of subgroups K_j (orbit types G/K_j) from ``subs`` (sorted by index), total index <= max_width.

    Shrinks towards one orbit with K = G (one neuron).
    """
    n = draw(st.integers(1, max_orbits))
    out: list[Subgroup] = []
    room = max_width
    for _ in range(n):
        fits = [K for K in subs if K.index <= room]
        if not fits:
            break
        K = fits[min(draw(st.integers(0, max(1, len(fits) - 1))), len(fits) - 1)]
        out.append(K)
        room -= K.index
    return out


def _sorted_subgroups(G: FiniteGroup, max_width: int) -> list[Subgroup]:
    return [K for K in sorted(G.subgroups(), key=lambda K: (K.index, K.elements)) if K.index <= max_width]


def layerwise_nets(rho_in: Representation, rho_out: Representation,
                   hidden: SearchStrategy[Sequence[Subgroup]] | Sequence[Subgroup] | None = None, *,
                   max_orbits: int = 3, max_width: int = 12,
                   hidden_bias: bool | SearchStrategy[bool] = BOOLEANS,
                   output_bias: bool | SearchStrategy[bool] = BOOLEANS,
                   integer_weights: bool | SearchStrategy[bool] = INTEGER_FIRST
                   ) -> SearchStrategy[DrawnNet]:
    """Layer-wise equivariant networks (``kind="len"``, ``construction="orbits"``).

    The hidden permutation representation is sum_j R[G/K_j]: ``hidden`` gives the K_j (a list of
    subgroups of G, or a strategy for such lists); by default 1..``max_orbits`` orbits of total size
    <= ``max_width`` are drawn, shrinking towards a single fixed neuron (K = G). See
    :func:`build_layerwise_net` for the weights.
    """
    _check_reps(rho_in, rho_out)
    max_orbits = check_int("max_orbits", max_orbits, min=1, max=64)
    max_width = check_int("max_width", max_width, min=1, max=MAX_WIDTH)
    G = rho_in.group
    if hidden is not None and not isinstance(hidden, SearchStrategy):
        hidden = check_subgroups("hidden", hidden, G)
    if hidden is None:
        hid: SearchStrategy[Sequence[Subgroup]] = st.deferred(
            lambda: _stabilizer_lists(_sorted_subgroups(G, max_width), max_orbits, max_width))
    elif isinstance(hidden, SearchStrategy):
        hid = hidden
    else:
        hid = st.just(list(hidden))
    hb, ob, iw = (_as_strategy(x, n) for x, n in ((hidden_bias, "hidden_bias"), (output_bias, "output_bias"),
                                                   (integer_weights, "integer_weights")))
    return _draw_layerwise(rho_in, rho_out, hid, hb, ob, iw)


@st.composite
def _draw_layerwise(draw: st.DrawFn, rho_in: Representation, rho_out: Representation,
                    hid: SearchStrategy[Sequence[Subgroup]], hb: SearchStrategy[bool], ob: SearchStrategy[bool],
                    iw: SearchStrategy[bool]) -> DrawnNet:
    stabs = list(draw(hid))
    seed = draw(_SEEDS)
    net, rep = build_layerwise_net(rho_in, rho_out, stabs, seed, hidden_bias=draw(hb), output_bias=draw(ob),
                                   integer_weights=draw(iw))
    return DrawnNet(net, rho_in, rho_out, "len", "orbits", seed, hidden=rep, stabilizers=tuple(stabs))


def equivariant_nets(rho_in: Representation, rho_out: Representation,
                     kinds: Sequence[str] = EQUIVARIANT_KINDS, *, max_orbits: int = 3, max_width: int = 12,
                     hidden_bias: bool | SearchStrategy[bool] = BOOLEANS,
                     output_bias: bool | SearchStrategy[bool] = BOOLEANS,
                     integer_weights: bool | SearchStrategy[bool] = INTEGER_FIRST
                     ) -> SearchStrategy[DrawnNet]:
    """Equivariant networks of both kinds (see the module docstring), tagged with their kind.

    ``kinds`` chooses among ``"len"`` (orbit-built or symmetrized layer-wise networks) and
    ``"gen-not-len"`` (one neuron per reversed hyperplane). When ``rho_in`` reverses no hyperplane, or
    the drawn orbits admit no equivariant channels, a ``"gen-not-len"`` draw falls back to ``"len"`` if
    allowed and is rejected otherwise; check ``DrawnNet.kind``. Flipped networks have no hidden bias
    values (their hyperplanes pass through 0; with ``hidden_bias`` the bias vector is zero).
    """
    _check_reps(rho_in, rho_out)
    names = check_names("kinds", kinds, EQUIVARIANT_KINDS)
    max_orbits = check_int("max_orbits", max_orbits, min=1, max=64)
    max_width = check_int("max_width", max_width, min=1, max=MAX_WIDTH)
    names = [k for k in EQUIVARIANT_KINDS if k in names]
    hb, ob, iw = (_as_strategy(x, n) for x, n in ((hidden_bias, "hidden_bias"), (output_bias, "output_bias"),
                                                   (integer_weights, "integer_weights")))
    G = rho_in.group
    layerwise = layerwise_nets(rho_in, rho_out, max_orbits=max_orbits, max_width=max_width, hidden_bias=hb,
                               output_bias=ob, integer_weights=iw)
    sym_width = max(1, min(3, max_width // max(1, G.order)))
    return _draw_equivariant(rho_in, rho_out, tuple(names), layerwise, sym_width, max_orbits,
                             max(max_width, 2 * G.order), hb, ob, iw)


@st.composite
def _draw_equivariant(draw: st.DrawFn, rho_in: Representation, rho_out: Representation, names: tuple[str, ...],
                      layerwise: SearchStrategy[DrawnNet], sym_width: int, max_orbits: int, flip_width: int,
                      hb: SearchStrategy[bool], ob: SearchStrategy[bool], iw: SearchStrategy[bool]) -> DrawnNet:
    kind = names[min(draw(st.integers(0, max(1, len(names) - 1))), len(names) - 1)]
    if kind == "gen-not-len":
        n_orbits = draw(st.integers(1, max_orbits))
        # always max_orbits picks (only n_orbits used): no shorter choice sequence than a "len" draw, so
        # shrinking prefers a single layer-wise neuron to any flipped network
        picks = [draw(st.integers(0, 7)) for _ in range(max_orbits)][:n_orbits]
        seed = draw(_SEEDS)
        hbias, obias, integer = draw(hb), draw(ob), draw(iw)
        built = build_flipped_net(rho_in, rho_out, picks, seed, hidden_bias=hbias, output_bias=obias,
                                  integer_weights=integer, max_width=flip_width)
        if built is not None:
            net, stabs = built
            return DrawnNet(net, rho_in, rho_out, "gen-not-len", "flipped", seed, stabilizers=tuple(stabs),
                            lower=2 * net.width)
        if "len" not in names:
            reject()
    if draw(st.booleans()):
        m = draw(st.integers(1, sym_width))
        merge = not draw(st.booleans())  # orbit-merged (T5b) first, plain width-|G| m symmetrization (T5a)
        seed = draw(_SEEDS)
        net = build_symmetrized_net(rho_in, rho_out, m, seed, hidden_bias=draw(hb), output_bias=draw(ob),
                                    integer_weights=draw(iw), merge=merge)
        return DrawnNet(net, rho_in, rho_out, "len", "symmetrized", seed)
    return draw(layerwise)


def rep_pairs(max_order: int = 8, max_in_dim: int = 4, max_out_dim: int = 3, *,
              change_of_basis: bool | SearchStrategy[bool] = False, families: Sequence[str] | None = None,
              in_kinds: Sequence[str] | None = None, out_kinds: Sequence[str] | None = None
              ) -> SearchStrategy[tuple[Representation, Representation]]:
    """(rho_in, rho_out): two representations of one drawn group, for drawing networks against.

    Built from :func:`groups` and :func:`representations`; shrinks towards C_1 with trivial
    representations. ``change_of_basis`` (a bool or a strategy) conjugates each by a drawn
    well-conditioned matrix, making it non-orthogonal.
    """
    cob = _as_strategy(change_of_basis, "change_of_basis")
    max_in_dim = check_int("max_in_dim", max_in_dim, min=1, max=MAX_DIM)
    max_out_dim = check_int("max_out_dim", max_out_dim, min=1, max=MAX_DIM)
    for name, given in (("in_kinds", in_kinds), ("out_kinds", out_kinds)):
        if given is not None:
            check_names(name, given, KINDS)
    kw_in = {} if in_kinds is None else {"kinds": in_kinds}
    kw_out = {} if out_kinds is None else {"kinds": out_kinds}

    return _draw_pair(groups(max_order, families), cob, kw_in, kw_out, max_in_dim, max_out_dim)


@st.composite
def _draw_pair(draw: st.DrawFn, group_strategy: SearchStrategy[FiniteGroup],
               cob: SearchStrategy[bool], kw_in: dict, kw_out: dict, max_in_dim: int, max_out_dim: int
               ) -> tuple[Representation, Representation]:
    G = draw(group_strategy)
    rho_in = draw(representations(G, max_dim=max_in_dim, change_of_basis=draw(cob), **kw_in))
    rho_out = draw(representations(G, max_dim=max_out_dim, change_of_basis=draw(cob), **kw_out))
    return rho_in, rho_out
