"""Seeded builders of network families: random, layer-wise equivariant, and equivariant-not-layer-wise.

The last family generalizes Examples A and B: a hyperplane through the origin reversed by some
element s (rho_in(s)^{-T} u = -u) carries, in a layer-wise network, neurons of both orientations,
a |u.x| kink. Folding each such pair into ONE neuron c relu(+-u.x) = c/2 |u.x| +- c/2 u.x halves the
width and leaves a linear remainder; combining several folded orbits with coefficients in the null
space of the non-equivariant part of that remainder gives an equivariant network whose width is below
the layer-wise lower bound (T4), so it is equivariant but not layer-wise.
"""

from __future__ import annotations

import numpy as np

from .nets import ReLUNet
from .oracles.compensate import compensate
from .reps import Representation, fixed_basis

__all__ = ["random_net", "layerwise_net", "flipped_net", "reversing_directions"]


def random_net(d: int, p: int, width: int, rng: np.random.Generator, *, hidden_bias: bool = True,
               output_bias: bool = True, integer: bool = False) -> ReLUNet:
    """A network with N(0, 1) weights (or small integers in [-3, 3] with ``integer=True``)."""
    def draw(*shape: int) -> np.ndarray:
        return rng.integers(-3, 4, size=shape).astype(float) if integer else rng.standard_normal(shape)
    return ReLUNet(draw(width, d), draw(width) if hidden_bias else None, draw(p, width),
                   draw(p) if output_bias else None)


def layerwise_net(rho_in: Representation, rho_out: Representation, width: int, rng: np.random.Generator, *,
                  hidden_bias: bool = True, output_bias: bool = True, merge: bool = True) -> ReLUNet:
    """The orbit-merged symmetrization of a random width-``width`` network: layer-wise equivariant."""
    f = random_net(rho_in.dim, rho_out.dim, width, rng, hidden_bias=hidden_bias, output_bias=output_bias)
    return compensate(f, rho_in, rho_out, merge=merge)


def reversing_directions(rho_in: Representation) -> list[tuple[int, np.ndarray]]:
    """(s, basis of {u : rho_in(s)^{-T} u = -u}) for the elements s that reverse some direction."""
    dual = rho_in.dual()
    out = []
    for s in rho_in.group.elements:
        M = dual(s) + np.eye(rho_in.dim)
        _, sv, vt = np.linalg.svd(M)
        rank = int(np.sum(sv > 1e-9))
        if rank < rho_in.dim:
            out.append((s, vt[rank:].T))
    return out


def _equivariant_residual(L: np.ndarray, rho_in: Representation, rho_out: Representation) -> np.ndarray:
    """L minus its projection onto Hom_G: L - 1/|G| sum_g rho_out(g)^-1 L rho_in(g)."""
    G = rho_in.group
    inv = rho_out.matrices[G.inverses]
    avg = np.einsum("gpq,qd,gde->pe", inv, L, rho_in.matrices) / G.order
    return L - avg


def flipped_net(rho_in: Representation, rho_out: Representation, rng: np.random.Generator, *,
                n_orbits: int = 3, max_orbits: int = 8, output_bias: bool = False) -> ReLUNet | None:
    """An equivariant network with one neuron per reversed kink hyperplane (None if rho_in reverses none).

    Every neuron sits on its own kink hyperplane, each reversed by some element, so the width is half
    the layer-wise lower bound: never layer-wise. Degenerate draws (channels cancelling) are redrawn.
    """
    dirs = reversing_directions(rho_in)
    if not dirs:
        return None
    p = rho_out.dim
    folded: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (normals, channels, non-equivariant L)
    for _ in range(max_orbits * 4):
        if len(folded) >= max_orbits:
            break
        s, E = dirs[int(rng.integers(len(dirs)))]
        u = E @ rng.standard_normal(E.shape[1])
        u /= np.linalg.norm(u)
        v = rng.standard_normal(p)
        S = compensate(ReLUNet(u[None], None, v[:, None], None), rho_in, rho_out, merge=True)
        form = S.canonical()
        if form.n_hyperplanes == 0 or np.any(np.abs(form.offsets) > 1e-12):
            continue
        normals = form.normals * rng.choice([-1.0, 1.0], size=(form.n_hyperplanes, 1))
        L = 0.5 * form.channels.T @ normals
        folded.append((normals, form.channels, _equivariant_residual(L, rho_in, rho_out).ravel()))
        if len(folded) < n_orbits:
            continue
        R = np.stack([f[2] for f in folded], axis=1)
        _, sv, vt = np.linalg.svd(R)
        rank = int(np.sum(sv > 1e-9 * max(1.0, sv[0] if sv.size else 1.0)))
        null = vt[rank:]
        if null.shape[0] == 0:
            continue
        alpha = null.T @ rng.standard_normal(null.shape[0])
        alpha = alpha / np.max(np.abs(alpha))
        keep = np.abs(alpha) > 1e-6
        if not keep.any():
            continue
        W1 = np.concatenate([f[0] for f, k in zip(folded, keep, strict=True) if k])
        W2 = np.concatenate([a * f[1] for f, a, k in zip(folded, alpha, keep, strict=True) if k]).T
        cand = ReLUNet(W1, None, W2, None)
        if cand.canonical().n_hyperplanes != cand.width:  # channels cancelled on some hyperplane: degenerate
            continue
        b2 = None
        if output_bias:
            B = fixed_basis(rho_out)
            b2 = B @ rng.standard_normal(B.shape[1]) if B.shape[1] else np.zeros(p)
        return ReLUNet(W1, None, W2, b2)
    return None
