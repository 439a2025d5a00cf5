"""Strategies for finite groups and their subgroups.

Structure (family, size, factors) is drawn through Hypothesis so that shrinking simplifies it:
the first family is cyclic, sizes shrink towards small ones, and subgroups towards the trivial one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from math import factorial
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from equifuzz import groups as _groups
from equifuzz.errors.validation import MAX_ORDER
from equifuzz.groups.finite import FiniteGroup, Subgroup

from ._checks import InvalidStrategyArgument as InvalidArgument
from ._checks import check_int, check_names

__all__ = ["FAMILIES", "groups", "subgroups", "seeds"]

T = TypeVar("T")

#: Group families drawn by :func:`groups`, simplest first (shrinking prefers earlier ones).
FAMILIES: tuple[str, ...] = (
    "cyclic",
    "dihedral",
    "klein4",
    "abelian",
    "quaternion",
    "symmetric",
    "alternating",
    "direct_product",
)


def seeds() -> SearchStrategy[int]:
    """Seeds for ``numpy.random.default_rng``: integers in 0..2**32 - 1 (shrinking towards 0)."""
    return st.integers(0, 2**32 - 1)


def groups(max_order: int = 24, families: Iterable[str] | None = None) -> SearchStrategy[FiniteGroup]:
    """Finite groups of order at most ``max_order`` from the given ``families`` (default: all).

    Families are named in :data:`FAMILIES`: cyclic C_n, dihedral D_n, klein4 V4, abelian products
    C_a x C_b (x ...), quaternion Q8, symmetric S_n, alternating A_n and direct products of two
    non-trivial groups of the single families. Shrinks towards small cyclic groups (C_1 first).
    """
    max_order = _check_int(max_order, "max_order", 1, MAX_ORDER)
    chosen = _check_families(families)
    options = [s for f in chosen if (s := _FAMILY[f](max_order, 1)) is not None]
    if not options:
        raise InvalidArgument(
            f"no group of the families {list(chosen)} has order <= max_order={max_order}; "
            f"raise max_order or add 'cyclic' to families"
        )
    return st.one_of(options)


def subgroups(G: FiniteGroup | SearchStrategy[FiniteGroup]) -> SearchStrategy[Subgroup]:
    """A subgroup K of ``G`` (one of ``G.subgroups()``), shrinking towards the trivial subgroup.

    ``G`` may also be a strategy for groups; the drawn subgroup's parent is then ``K.group``.
    """
    if isinstance(G, SearchStrategy):
        return G.flatmap(subgroups)
    if not isinstance(G, FiniteGroup):
        raise InvalidArgument(f"subgroups(G) needs a FiniteGroup or a strategy for one, got {G!r}")
    # G.subgroups() is sorted by order, the trivial subgroup first; computed once per strategy.
    return st.deferred(lambda: _picks(G.subgroups()))


# ---------------------------------------------------------------------------------------------
# families
#
# Each family is one branch of a one_of (in the order of FAMILIES) and picks its member with exactly
# one choice, so every single group costs two choices: shrinking then moves towards the first family
# and the smallest member, and never prefers a constant family (V4, Q8) merely because it needs fewer
# choices. Products need more choices than single groups, so they shrink towards single groups.


def _members(family: str, max_order: int, min_order: int) -> list[Callable[[], FiniteGroup]]:
    """Constructors of the groups of a single family with min_order <= |G| <= max_order, small first."""
    if family == "cyclic":
        return [partial(_groups.cyclic, n) for n in range(max(1, min_order), max_order + 1)]
    if family == "dihedral":
        return [partial(_groups.dihedral, n) for n in range(max(1, -(-min_order // 2)), max_order // 2 + 1)]
    if family == "klein4":
        return [_groups.klein4] if min_order <= 4 <= max_order else []
    if family == "quaternion":
        return [_groups.quaternion] if min_order <= 8 <= max_order else []
    if family == "symmetric":
        return [partial(_groups.symmetric, n) for n in range(2, 8) if min_order <= factorial(n) <= max_order]
    if family == "alternating":
        return [partial(_groups.alternating, n) for n in range(3, 8) if min_order <= factorial(n) // 2 <= max_order]
    raise AssertionError(family)


def _single(family: str) -> Callable[[int, int], SearchStrategy[FiniteGroup] | None]:
    def strategy(max_order: int, min_order: int) -> SearchStrategy[FiniteGroup] | None:
        members = _members(family, max_order, min_order)
        return _picks(members).map(lambda make: make()) if members else None

    return strategy


def _abelian(max_order: int, min_order: int) -> SearchStrategy[FiniteGroup] | None:
    """C_{a1} x C_{a2} x ... with at least two factors, each of order >= 2."""
    if max_order < 4 or min_order > 4:
        return None

    @st.composite
    def draw_abelian(draw: st.DrawFn) -> FiniteGroup:
        orders = [draw(st.integers(2, max_order // 2))]
        orders.append(draw(st.integers(2, max_order // orders[0])))
        prod = orders[0] * orders[1]
        while max_order // prod >= 2 and draw(st.booleans()):
            orders.append(draw(st.integers(2, max_order // prod)))
            prod *= orders[-1]
        return _groups.abelian(*orders)

    return draw_abelian()


def _direct_product(max_order: int, min_order: int) -> SearchStrategy[FiniteGroup] | None:
    """G x H with G, H non-trivial groups of the single families."""
    if max_order < 4 or min_order > 4:
        return None

    def factors(bound: int) -> SearchStrategy[FiniteGroup]:
        return st.one_of([s for f in _SINGLE if (s := _FAMILY[f](bound, 2)) is not None])

    def second(G: FiniteGroup) -> SearchStrategy[FiniteGroup]:
        return factors(max_order // G.order).map(lambda H: _groups.direct_product(G, H))

    return factors(max_order // 2).flatmap(second)


_SINGLE = ("cyclic", "dihedral", "klein4", "quaternion", "symmetric", "alternating")

_FAMILY: dict[str, Callable[[int, int], SearchStrategy[FiniteGroup] | None]] = {
    **{f: _single(f) for f in _SINGLE},
    "abelian": _abelian,
    "direct_product": _direct_product,
}


# ---------------------------------------------------------------------------------------------
# helpers (shared with _reps)


def _pick(draw: st.DrawFn, items: Sequence[T]) -> T:
    """One of ``items`` (non-empty), earlier ones simpler, always spending exactly one choice.

    Hypothesis shrinks choice sequences shortlex: fewer choices first. A one-item list would cost
    no choice and so look simpler than the first item of a longer list; spending one choice on
    every pick keeps "simpler" meaning "earlier in the list".
    """
    i = draw(st.integers(0, max(1, len(items) - 1)))
    return items[min(i, len(items) - 1)]


def _picks(items: Sequence[T]) -> SearchStrategy[T]:
    """:func:`_pick` as a strategy."""
    return st.composite(lambda draw: _pick(draw, items))()


def _check_int(value: object, name: str, lowest: int, highest: int | None = None) -> int:
    return check_int(name, value, min=lowest, max=highest)


def _check_names(given: Iterable[str] | None, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """The names in ``given`` (default: all of ``known``), in the order of ``known``."""
    if given is None:
        return known
    names = check_names(what, given, known)
    return tuple(n for n in known if n in names)


def _check_families(families: Iterable[str] | None) -> tuple[str, ...]:
    return _check_names(families, FAMILIES, "families")
