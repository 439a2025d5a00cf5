"""Strategies for real representations of a finite group.

A drawn representation is a direct sum of summands built by the public constructors of
:mod:`equifuzz.reps` (so every one is validated as a homomorphism), optionally conjugated by a
well-conditioned change of basis drawn from a seed. Shrinks towards the trivial representation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from equifuzz import reps as _reps
from equifuzz.errors.exceptions import RepresentationError
from equifuzz.groups.finite import FiniteGroup, Subgroup
from equifuzz.reps.finite import Representation

from ._checks import MAX_DIM, check_int, check_seed
from ._checks import InvalidStrategyArgument as InvalidArgument
from ._groups import _check_int, _check_names, _pick, seeds

__all__ = ["KINDS", "representations", "change_of_basis_matrix"]

#: Summand kinds drawn by :func:`representations`, simplest first (shrinking prefers earlier ones).
KINDS: tuple[str, ...] = (
    "trivial",
    "sign",
    "coset",
    "permutation",
    "rotation",
    "signed_permutation",
    "regular",
)

DEFAULT_KINDS = ("trivial", "permutation", "coset", "sign", "rotation", "signed_permutation", "regular")

#: Largest condition number of a drawn change of basis.
MAX_COND = 50.0


def representations(
    G: FiniteGroup | SearchStrategy[FiniteGroup],
    kinds: Iterable[str] = DEFAULT_KINDS,
    max_dim: int = 8,
    change_of_basis: bool = False,
) -> SearchStrategy[Representation]:
    """Representations of ``G`` of dimension <= ``max_dim``: direct sums of summands of ``kinds``.

    Kinds (see :data:`KINDS`): ``trivial``; ``sign`` (a character with kernel of index 2, the natural
    sign first); ``coset`` (the permutation action on G/K); ``permutation`` (a transitive action,
    G/K with its points relabelled, or the standard action of a permutation group); ``rotation``
    (C_n, D_n on R^2); ``signed_permutation`` (induced from a +-1 character of a subgroup, conjugated
    by a diagonal +-1 matrix); ``regular``. Kinds that ``G`` does not support, or that do not fit in
    the remaining dimension, are skipped. With ``change_of_basis=True`` the sum is conjugated by
    Q = I + 0.5 N / sqrt(d), N Gaussian from a drawn seed, redrawn until cond(Q) <= 50.
    Shrinks towards the one-dimensional trivial representation.
    """
    chosen = _check_names(kinds, KINDS, "kinds")
    max_dim = _check_int(max_dim, "max_dim", 1, MAX_DIM)
    if not isinstance(change_of_basis, bool):
        raise InvalidArgument(f"change_of_basis must be True or False, got {change_of_basis!r}")
    if isinstance(G, SearchStrategy):
        return G.flatmap(lambda H: representations(H, chosen, max_dim, change_of_basis))
    if not isinstance(G, FiniteGroup):
        raise InvalidArgument(f"representations(G) needs a FiniteGroup or a strategy for one, got {G!r}")
    return _representations(_Catalogue(G), chosen, max_dim, change_of_basis)


def change_of_basis_matrix(d: int, seed: int) -> np.ndarray:
    """A well-conditioned d x d matrix I + 0.5 N / sqrt(d) (N Gaussian from ``seed``), cond <= 50."""
    d, seed = check_int("d", d, min=1, max=MAX_DIM), check_seed(seed)
    rng = np.random.default_rng(seed)
    while True:
        Q = np.eye(d) + 0.5 * rng.standard_normal((d, d)) / np.sqrt(d)
        if np.linalg.cond(Q) <= MAX_COND:
            return Q


@st.composite
def _representations(draw: st.DrawFn, cat: _Catalogue, kinds: tuple[str, ...], max_dim: int,
                     change_of_basis: bool) -> Representation:
    summands: list[Representation] = []
    remaining = max_dim
    # Every summand costs the same choices up front (kind, item, go on?) so that shrinking compares
    # representations by their summands' positions in KINDS rather than by how much they draw.
    while True:
        options = [k for k in kinds if cat.min_dim(k) <= remaining]
        if not options:
            if summands:
                break
            raise InvalidArgument(
                f"no summand of the kinds {list(kinds)} fits {cat.G.name} in dimension <= {max_dim}; "
                f"add 'trivial' to kinds or raise max_dim"
            )
        kind = _pick(draw, options)
        rep = _SUMMANDS[kind](draw, cat, remaining)
        summands.append(rep)
        remaining -= rep.dim
        if draw(st.integers(0, 3)) == 0:  # go on with probability about 3/4; shrinks to stopping
            break
    rep = summands[0] if len(summands) == 1 else _reps.direct_sum(*summands)
    if change_of_basis:
        seed = draw(seeds())
        rep = _reps.change_basis(rep, change_of_basis_matrix(rep.dim, seed))
    return rep


# ---------------------------------------------------------------------------------------------
# what G supports


@dataclass(frozen=True)
class _Induced:
    """Induction data: the subgroup K, the kernel L of a +-1 character of K (None: trivial)."""

    K: Subgroup
    L: Subgroup | None


class _Catalogue:
    """The summands a group supports, computed lazily once per strategy."""

    def __init__(self, G: FiniteGroup) -> None:
        self.G = G

    @cached_property
    def subgroups(self) -> list[Subgroup]:
        """All subgroups, by index (G itself first), then by elements."""
        return sorted(self.G.subgroups(), key=lambda K: (K.index, K.elements))

    @cached_property
    def natural_sign(self) -> Representation | None:
        try:
            return _reps.sign(self.G)
        except RepresentationError:
            return None

    @cached_property
    def signs(self) -> list[Representation]:
        """+-1 characters: the natural sign (if any), then one per other subgroup of index 2."""
        out = [] if self.natural_sign is None else [self.natural_sign]
        known = [s.character() for s in out]
        for K in self.subgroups:
            if K.index == 2:
                s = _reps.sign(self.G, K)
                if not any(np.array_equal(s.character(), c) for c in known):
                    out.append(s)
        return out

    @cached_property
    def rotation(self) -> Representation | None:
        if self.G.family is None or self.G.family[0] not in ("cyclic", "dihedral"):
            return None
        return _reps.rotation(self.G)

    @cached_property
    def standard(self) -> Representation | None:
        try:
            return _reps.standard(self.G)
        except RepresentationError:
            return None

    @cached_property
    def induced(self) -> list[_Induced]:
        """Subgroups K with an index-2 subgroup L (a non-trivial character of K), by [G:K].

        For groups without any (odd order) the trivial characters of K, so that the signs come
        from the diagonal conjugation alone.
        """
        out = []
        for K in self.subgroups:
            kset = set(K.elements)
            for L in self.subgroups:
                if L.order * 2 == K.order and kset.issuperset(L.elements):
                    out.append(_Induced(K, L))
        return out or [_Induced(K, None) for K in self.subgroups]

    def min_dim(self, kind: str) -> float:
        """Smallest dimension of a summand of ``kind`` (inf: not supported)."""
        inf = float("inf")
        if kind in ("trivial", "coset", "permutation"):
            return 1
        if kind == "sign":
            return 1 if self.signs else inf
        if kind == "rotation":
            return 2 if self.rotation is not None else inf
        if kind == "signed_permutation":
            return self.induced[0].K.index if self.induced else inf
        if kind == "regular":
            return self.G.order
        raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# summands: each draws what it needs and builds through equifuzz.reps


def _trivial(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    return _pick(draw, [_reps.trivial(cat.G)])  # type: ignore[list-item]


def _sign(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    return _pick(draw, cat.signs)


def _coset(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    K = _pick(draw, [K for K in cat.subgroups if K.index <= room])
    return _reps.coset(cat.G, K)


def _permutation(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    """A transitive permutation action: G/K with relabelled points, or the standard action."""
    G = cat.G
    choices: list[Subgroup | None] = [K for K in cat.subgroups if K.index <= room]
    if cat.standard is not None and cat.standard.dim <= room:
        choices.append(None)
    K = _pick(draw, choices)
    if K is None:
        return cat.standard  # type: ignore[return-value]
    points = _reps.coset(G, K).permutations()  # points[g, i] = image of coset i under g
    relabel = np.array(draw(st.permutations(range(K.index))), dtype=np.int64)
    images = relabel[points[:, np.argsort(relabel)]]  # conjugate the action by the relabelling
    return _reps.permutation(G, images, name=f"perm[G/{K.order}]")


def _rotation(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    return _pick(draw, [cat.rotation])  # type: ignore[list-item]


def _signed_permutation(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    """Ind_K^G(eps) for a +-1 character eps of K with kernel L, conjugated by a diagonal D.

    With coset representatives r_j and g r_j = r_i k (k in K): rho(g) e_j = eps(k) D_i D_j e_i.
    """
    G = cat.G
    ind = _pick(draw, [c for c in cat.induced if c.K.index <= room])
    K, L = ind.K, ind.L
    m = K.index
    if not G.generators:  # the trivial group: K = G, one point, eps = 1
        return _reps.trivial(G)  # type: ignore[return-value]
    flips = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    D = np.where(flips, -1.0, 1.0)
    coset = G.cosets(K)
    reps_ = [int(np.flatnonzero(coset == j)[0]) for j in range(m)]
    lset = None if L is None else set(L.elements)
    images, signs = {}, {}
    for g in G.generators:
        img, sg = [], []
        for j, r in enumerate(reps_):
            gr = G.mul(g, r)
            i = int(coset[gr])
            k = G.mul(G.inv(reps_[i]), gr)
            eps = 1.0 if lset is None or k in lset else -1.0
            img.append(i)
            sg.append(eps * D[i] * D[j])
        images[g], signs[g] = img, sg
    return _reps.signed_permutation(G, images, signs, name=f"sperm[G/{K.order}]")


def _regular(draw: st.DrawFn, cat: _Catalogue, room: int) -> Representation:
    return _pick(draw, [_reps.regular(cat.G)])


_SUMMANDS: dict[str, Callable[[st.DrawFn, _Catalogue, int], Representation]] = {
    "trivial": _trivial,
    "sign": _sign,
    "coset": _coset,
    "permutation": _permutation,
    "rotation": _rotation,
    "signed_permutation": _signed_permutation,
    "regular": _regular,
}
