"""Seeded builders of 2-layer ReLU networks: unconstrained, layer-wise equivariant, equivariant-not-layer-wise.

Plain functions of their arguments and a seed (numbers from ``numpy.random.default_rng(seed)``), shared by
the Hypothesis strategies (:mod:`equifuzz.strategies`, which draw the arguments) and the campaign.

- :func:`build_relu_net`: N(0, 1) or small integer weights;
- :func:`build_layerwise_net`: layer-wise equivariant, built orbit by orbit from a hidden permutation
  representation sum_j R[G/K_j];
- :func:`build_symmetrized_net`: the orbit-merged symmetrization of a random network (T5), layer-wise;
- :func:`build_flipped_net`: equivariant but not layer-wise at its width: one neuron
  relu(+-u.x) = |u.x|/2 +- u.x/2 per hyperplane of orbits reversed by some element s
  (rho_in(s)^{-T} u = -u), with channels in the null space of the non-equivariant part of the linear
  remainder (Examples A and B generalized).

Layer: above ``oracles`` (the symmetrized builder is :func:`equifuzz.oracles.compensate`), below the
strategies, ``search`` and the faces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..groups.finite import FiniteGroup, Subgroup
from ..nets.relu_net import ReLUNet
from ..oracles import compensate
from ..reps.finite import PermutationRepresentation, Representation, subgroup_from_elements
from ..reps.linalg import null_space, range_space

__all__ = [
    "build_relu_net",
    "build_layerwise_net",
    "build_symmetrized_net",
    "build_flipped_net",
    "reversing_elements",
]

_MAX_WIDTH = 24

# ---------------------------------------------------------------------------------------------
# small linear algebra


def _projector(mats: np.ndarray, elements: Sequence[int], weights: np.ndarray | None = None) -> np.ndarray:
    """1/|K| sum_{k in K} w_k rho(k): the projector onto Fix_K (weights 1) or onto a character's isotypic part."""
    idx = list(elements)
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=np.float64)
    return np.einsum("k,kij->ij", w, mats[idx]) / len(idx)


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


# ---------------------------------------------------------------------------------------------
# builders (plain functions of a seed; the strategies below draw their arguments)


def build_relu_net(d: int, p: int, width: int, seed: int, *, hidden_bias: bool = True, output_bias: bool = True,
                   integer_weights: bool = False, bound: int = 2) -> ReLUNet:
    """A width-``width`` network R^d -> R^p with N(0, 1) weights, or integers in [-bound, bound]."""
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
    C = range_space(_projector(out, K.elements))
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
        N = null_space(A)
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
