"""Subgroups of a finite group up to conjugacy, by cyclic extension, and all subgroups from them.

Every subgroup <c1, ..., ck> is reached up to conjugacy by joining class representatives with cyclic
subgroups: if H is conjugate to <c1, ..., c(k-1)> by x, then <H, x ck x^-1> is conjugate to
<c1, ..., ck>. Two subgroups of the same order are conjugate iff some g maps the generators of one
into the other, tested for all g at once on the Cayley table; a conjugation invariant (the order and
how many elements of each conjugacy class it holds) narrows the candidates first.

The functions read a group through its Cayley table (``order``, ``table``, ``inverses``, ``class_labels``,
``_closure_mask``) and return each subgroup as (elements, generators); :class:`~equifuzz.groups.FiniteGroup`
wraps them into its :class:`~equifuzz.groups.Subgroup` objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np

from ..errors.exceptions import BudgetExceededError, ShapeError


class CayleyTable(Protocol):
    """What the lattice reads of a group (a :class:`~equifuzz.groups.FiniteGroup` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def order(self) -> int: ...
    @property
    def table(self) -> np.ndarray: ...
    @property
    def inverses(self) -> np.ndarray: ...
    @property
    def class_labels(self) -> np.ndarray: ...
    def _closure_mask(self, gens: Iterable[int]) -> np.ndarray: ...

#: a subgroup as (its elements, sorted; a small generating set)
Found = tuple[tuple[int, ...], tuple[int, ...]]

__all__ = ["CayleyTable", "subgroup_classes", "all_subgroups"]


def _cyclic_subgroups(G: CayleyTable) -> list[tuple[np.ndarray, int]]:
    """Each cyclic subgroup once, as (mask, generator)."""
    seen: dict[bytes, tuple[np.ndarray, int]] = {}
    for g in range(1, G.order):
        m = G._closure_mask([g])
        seen.setdefault(np.packbits(m).tobytes(), (m, g))
    return list(seen.values())


def _class_key(G: CayleyTable, mask: np.ndarray) -> tuple[int, tuple[int, ...]]:
    lab = G.class_labels
    return (int(mask.sum()), tuple(int(x) for x in np.bincount(lab[mask], minlength=int(lab.max()) + 1)))


def _conjugate_into(G: CayleyTable, gens: tuple[int, ...], target: np.ndarray, allg: np.ndarray) -> bool:
    """Whether some g puts g gens g^-1 inside the subgroup ``target`` (of the same order: then equal)."""
    if not gens:
        return True
    imgs = G.table[G.table[allg[:, None], np.asarray(gens)[None, :]], G.inverses[allg][:, None]]
    return bool(np.any(np.all(target[imgs], axis=1)))


def subgroup_classes(G: CayleyTable, budget: int | None = None) -> list[Found]:
    """One subgroup per conjugacy class of subgroups of G, as (elements, generators), sorted by order then
    elements.

    ``budget`` bounds the number of joins <H, c> formed; past it BudgetExceededError is raised.
    """
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
        raise ShapeError(f"budget must be a non-negative integer or None, got {budget!r}")
    cyc = _cyclic_subgroups(G)
    allg = np.arange(G.order)
    trivial = np.zeros(G.order, bool)
    trivial[0] = True
    classes: list[tuple[np.ndarray, tuple[int, ...]]] = [(trivial, ())]
    by_key: dict[tuple[int, tuple[int, ...]], list[int]] = {_class_key(G, trivial): [0]}
    frontier = [0]
    joins = 0
    while frontier:
        nxt = []
        for ci in frontier:
            mask, gens = classes[ci]
            for _cm, c in cyc:
                if mask[c]:
                    continue
                joins += 1
                if budget is not None and joins > budget:
                    raise BudgetExceededError(
                        f"subgroup_classes: budget of {budget} joins exceeded for {G.name} (order {G.order}) "
                        f"after {len(classes)} classes found; pass a larger budget")
                new_gens = gens + (c,)
                new = G._closure_mask(new_gens)
                key = _class_key(G, new)
                same = by_key.setdefault(key, [])
                if any(_conjugate_into(G, new_gens, classes[j][0], allg) for j in same):
                    continue
                classes.append((new, new_gens))
                same.append(len(classes) - 1)
                nxt.append(len(classes) - 1)
        frontier = nxt
    subs = [(tuple(int(x) for x in np.flatnonzero(m)), g) for m, g in classes]
    subs.sort(key=lambda s: (len(s[0]), s[0]))
    return subs


def all_subgroups(G: CayleyTable, budget: int | None = None) -> list[Found]:
    """Every subgroup of G (the conjugates of the class representatives), as (elements, generators),
    sorted by order then elements."""
    found: dict[bytes, Found] = {}
    allg = np.arange(G.order)
    for elements, generators in subgroup_classes(G, budget):
        el = np.asarray(elements)
        conj = G.table[G.table[allg[:, None], el[None, :]], G.inverses[allg][:, None]]
        gens = np.asarray(generators, dtype=np.int64)
        for g in range(G.order):
            m = np.zeros(G.order, bool)
            m[conj[g]] = True
            key = np.packbits(m).tobytes()
            if key not in found:
                cg = tuple(int(G.table[G.table[g, x], G.inverses[g]]) for x in gens)
                found[key] = (tuple(int(x) for x in np.flatnonzero(m)), cg)
    subs = list(found.values())
    subs.sort(key=lambda s: (len(s[0]), s[0]))
    return subs
