"""The named representations of finite groups: trivial, sign, permutation, regular, coset, rotation,
standard and signed permutation representations (re-exported by :mod:`equifuzz.reps`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import overload

import numpy as np

from ..errors.exceptions import RepresentationError, ShapeError
from ..errors.validation import check_array, check_bytes, check_int, check_type, describe
from ..groups.continuous import ContinuousGroup
from ..groups.finite import FiniteGroup, Subgroup
from ..groups.validation import check_group
from .continuous import ContinuousRepresentation, rotation_turns
from .finite import Representation, _check_size, from_generators

__all__ = [
    "trivial",
    "sign",
    "regular",
    "coset",
    "permutation",
    "rotation",
    "standard",
    "signed_permutation",
]


@overload
def trivial(G: FiniteGroup, n: int = 1) -> Representation: ...


@overload
def trivial(G: ContinuousGroup, n: int = 1) -> ContinuousRepresentation: ...


def trivial(G: FiniteGroup | ContinuousGroup, n: int = 1) -> Representation | ContinuousRepresentation:
    """The trivial representation on R^n."""
    check_group("G", G, continuous_ok=True)
    n = check_int("n", n, min=1)
    if isinstance(G, FiniteGroup):
        _check_size(G, n, f"trivial(G, {n})")
    if isinstance(G, ContinuousGroup):  # each evaluation builds one dense n x n matrix
        check_bytes(f"trivial({G.name}, {n}): an {n} x {n} matrix per element", 8.0 * n * n,
                    "use a smaller dimension")
        return ContinuousRepresentation(G, n, lambda m: np.eye(n), name=f"trivial{n}")
    return Representation(G, np.broadcast_to(np.eye(n), (G.order, n, n)), name=f"trivial{n}", _checked=True)


def sign(G: FiniteGroup, K: Subgroup | None = None) -> Representation:
    """A one-dimensional sign character: +1 on an index-2 subgroup K, -1 off it.

    Without K it is read off the group: parity for permutation groups, determinant for matrix
    groups, s -> -1 for dihedral and r -> -1 for even cyclic groups.
    """
    check_group("G", G)
    if K is not None:
        check_type("K", K, Subgroup, "a Subgroup of G or None")
        G._own(K)
        if K.index != 2:
            raise RepresentationError(f"sign(G, K) needs a subgroup of index 2; {K} has index {K.index}")
        vals = np.array([1.0 if g in K else -1.0 for g in G.elements])
    else:
        natural = _natural_sign(G)
        if natural is None or np.all(natural == 1):
            raise RepresentationError(
                f"{G.name} has no natural sign character; pass an index-2 subgroup: sign(G, K)")
        vals = natural
    return Representation(G, vals[:, None, None], name="sign")


def _natural_sign(G: FiniteGroup) -> np.ndarray | None:
    fam = G.family[0] if G.family else None
    if fam == "cyclic" and G.order % 2 == 0:
        return np.array([(-1.0) ** g for g in G.elements])
    if G.labels is None:
        return None
    lab = G.labels[0]
    if isinstance(lab, tuple) and all(isinstance(x, int) for x in lab):
        return np.array([_parity(p) for p in G.labels])  # type: ignore[arg-type]
    if isinstance(lab, np.ndarray):
        dets = np.array([np.linalg.det(m) for m in G.labels])  # type: ignore[arg-type]
        if np.allclose(np.abs(dets), 1):
            return np.sign(dets)
    return None


def _parity(p: Sequence[int]) -> float:
    seen, s = set(), 1.0
    for i in range(len(p)):
        if i in seen:
            continue
        j, k = i, 0
        while j not in seen:
            seen.add(j)
            j = p[j]
            k += 1
        if k % 2 == 0:
            s = -s
    return s


def permutation(G: FiniteGroup, images: np.ndarray | Sequence[Sequence[int]] | Mapping[int, Sequence[int]],
                *, name: str | None = None) -> Representation:
    """The permutation representation rho(g) e_i = e_{images[g][i]}.

    ``images`` is an array (|G|, m) of point images for every element, or a mapping from each
    generator to its permutation (extended along words and validated).
    """
    check_group("G", G)
    if isinstance(images, Mapping):
        return from_generators(G, {g: _perm_matrix(p) for g, p in images.items()}, name=name or "perm")
    arr = check_array("images", images)
    if arr.ndim != 2 or arr.shape[0] != G.order:
        raise ShapeError(f"permutation images must have shape ({G.order}, m), got {arr.shape}")
    _check_size(G, arr.shape[1], "permutation(G, images)")
    return Representation(G, np.stack([_perm_matrix(p) for p in arr]), name=name or "perm")


def _perm_matrix(perm: Sequence[int] | np.ndarray) -> np.ndarray:
    if isinstance(perm, (str, bytes)):
        raise ShapeError(f"{describe(perm)} is not a permutation (a list of ints)")
    p = check_array("a permutation", perm)
    m = len(p) if p.ndim else 0
    if p.ndim != 1 or sorted(p.tolist()) != list(range(m)):
        raise ShapeError(f"{p.tolist()} is not a permutation of 0..{m - 1}")
    p = p.astype(np.int64)
    out = np.zeros((m, m))
    out[p, np.arange(m)] = 1.0
    return out


def regular(G: FiniteGroup) -> Representation:
    """The left regular representation: rho(g) e_h = e_{g h}."""
    check_group("G", G)
    _check_size(G, G.order, f"regular({G.name})", "use a coset representation coset(G, K) of a larger subgroup K")
    return Representation(G, np.stack([_perm_matrix(G.table[g]) for g in G.elements]),
                          name="regular", _checked=True)


def coset(G: FiniteGroup, K: Subgroup) -> Representation:
    """The permutation representation on the left cosets G/K: g . hK = (g h)K; dim = [G:K]."""
    check_group("G", G)
    check_type("K", K, Subgroup, "a Subgroup of G")
    G._own(K)
    _check_size(G, K.index, f"coset({G.name}, K)", "use a larger subgroup K")
    c = G.cosets(K)
    reps_ = [int(np.flatnonzero(c == j)[0]) for j in range(K.index)]
    images = np.array([[c[G.table[g, r]] for r in reps_] for g in G.elements])
    return Representation(G, np.stack([_perm_matrix(p) for p in images]),
                          name=f"coset[G/{K.order}]", _checked=True)


def rotation(G: FiniteGroup) -> Representation:
    """C_n by rotations of 2 pi / n, and D_n additionally by the reflection diag(1, -1), on R^2. Each element's
    matrix comes from its own angle 2 pi k / n, exact where rational (Niven: 0, +-1/2, +-1; C2, C4, D2, D4
    are integer matrices, cos 60 = 1/2), else the correctly rounded cos and sin."""
    check_group("G", G)
    fam = G.family
    if fam is None or fam[0] not in ("cyclic", "dihedral"):
        raise RepresentationError(f"rotation(G) needs a cyclic or dihedral group, got {G.name}")
    n = max(fam[1], 1)
    # generator i as (k, e): the element r^k s^e; (r^a s^e)(r^b s^f) = r^(a + (-1)^e b) s^(e + f)
    gens = ([(1, 0)] if fam[1] > 1 else []) + ([(0, 1)] if fam[0] == "dihedral" else [])
    mats = np.empty((G.order, 2, 2))
    for x in G.elements:
        k, e = 0, 0
        for i in G.word(x):
            k, e = (k + (-gens[i][0] if e else gens[i][0])) % n, (e + gens[i][1]) % 2
        mats[x] = rotation_turns(Fraction(k, n)) @ np.diag([1.0, -1.0 if e else 1.0]) + 0.0  # no -0.0
    return Representation(G, mats, name="rotation")


def standard(G: FiniteGroup) -> Representation:
    """A permutation group (S_n, A_n, ...) acting on R^n by permuting coordinates."""
    check_group("G", G)
    if G.labels is None or not isinstance(G.labels[0], tuple) or not all(isinstance(x, int) for x in G.labels[0]):
        raise RepresentationError(f"standard(G) needs a permutation group (S_n, A_n), got {G.name}")
    return Representation(G, np.stack([_perm_matrix(p) for p in G.labels]),  # type: ignore[arg-type]
                          name="standard", _checked=True)


def signed_permutation(G: FiniteGroup, images: Mapping[int, Sequence[int]],
                       signs: Mapping[int, Sequence[float]], *, name: str | None = None) -> Representation:
    """rho(g) e_i = signs[g][i] e_{images[g][i]}, given for each generator g (signs are +-1)."""
    check_group("G", G)
    check_type("images", images, Mapping, "a mapping generator -> permutation")
    check_type("signs", signs, Mapping, "a mapping generator -> list of +-1")
    if set(images) != set(signs):
        raise ShapeError(f"images and signs must name the same generators, got {sorted(map(str, images))} "
                         f"and {sorted(map(str, signs))}")
    mats = {}
    for g, p in images.items():
        s = check_array(f"signs for generator {g}", signs[g], ndim=1)
        if s.shape != (len(p),) or not np.all(np.abs(s) == 1):
            raise ShapeError(f"signs for generator {g} must be {len(p)} values of +-1, got {s.tolist()}")
        mats[g] = _perm_matrix(p) * s[None, :]
    return from_generators(G, mats, name=name or "signed_perm")
