"""The argument checks of groups: a finite (or continuous) group, and objects that share one group.

They raise :class:`~equifuzz.errors.EquifuzzError` subclasses whose message names the argument, as the
checks of :mod:`equifuzz.errors.validation` do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors.exceptions import GroupMismatchError
from ..errors.validation import check_type
from .continuous import ContinuousGroup
from .finite import FiniteGroup, same_table

__all__ = ["check_group", "check_same_group", "same_group"]


def same_group(a: object, b: object) -> bool:
    """Whether ``a`` and ``b`` are one group: the same object, finite groups with one Cayley table, or
    equal continuous groups."""
    if a is b:
        return True
    if isinstance(a, FiniteGroup) and isinstance(b, FiniteGroup):
        return same_table(a, b)
    return isinstance(a, ContinuousGroup) and isinstance(b, ContinuousGroup) and a == b


def check_group(name: str, value: Any, *, continuous_ok: bool = False) -> Any:
    """A FiniteGroup (or, with ``continuous_ok``, a ContinuousGroup such as ``so3()``)."""
    types: tuple[type, ...] = (FiniteGroup, ContinuousGroup) if continuous_ok else (FiniteGroup,)
    what = "a FiniteGroup or a ContinuousGroup" if continuous_ok else "a FiniteGroup (e.g. equifuzz.groups.cyclic(4))"
    return check_type(name, value, types, what)


def check_same_group(named: Sequence[tuple[str, Any]]) -> None:
    """All representations (or subgroups) in ``named`` belong to one group (same Cayley table)."""
    first_name, first = named[0]
    G = first.group
    for nm, obj in named[1:]:
        H = obj.group
        if isinstance(G, FiniteGroup) != isinstance(H, FiniteGroup):
            raise GroupMismatchError(f"{first_name} and {nm} must both be finite-group or both continuous-group "
                                     "representations")
        if not same_group(G, H):
            raise GroupMismatchError(f"{nm} is a representation of {H.name}, but {first_name} of {G.name}: "
                                     "they must share one group")
