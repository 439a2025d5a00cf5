"""Argument checks for the strategies and builders: equifuzz's validation, raised as a strategy error.

Every helper raises :class:`InvalidStrategyArgument`, which is both an
``EquifuzzError`` and Hypothesis's ``InvalidArgument`` (what Hypothesis raises for bad strategy
arguments), with the message of :mod:`equifuzz.errors.validation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from hypothesis.errors import InvalidArgument as _HypothesisInvalidArgument
from hypothesis.strategies import SearchStrategy

from equifuzz.errors import validation as v
from equifuzz.errors.exceptions import EquifuzzError, InvalidArgument
from equifuzz.groups import validation as vg
from equifuzz.nets import validation as vn
from equifuzz.reps import finite as vr

F = TypeVar("F", bound=Callable[..., Any])

#: Bounds on sizes a strategy or builder accepts (beyond them a draw would not fit or not finish).
MAX_DIM = 256
MAX_WIDTH = 4096
MAX_COUNT = 10**5


@contextmanager
def as_strategy_error() -> Iterator[None]:
    """Re-raise an EquifuzzError from argument checks as InvalidStrategyArgument (same message)."""
    try:
        yield
    except InvalidStrategyArgument:
        raise
    except EquifuzzError as exc:
        raise InvalidStrategyArgument(str(exc)) from None



class InvalidStrategyArgument(InvalidArgument, _HypothesisInvalidArgument):
    """A strategy was called with a bad argument: an EquifuzzError, and Hypothesis's InvalidArgument (as
    Hypothesis raises). It lives with the strategies so that the library below them never imports Hypothesis."""


def _wrap(check: F) -> F:
    @wraps(check)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with as_strategy_error():
            return check(*args, **kwargs)
    return inner  # type: ignore[return-value]


check_int = _wrap(v.check_int)
check_bool = _wrap(v.check_bool)
check_real = _wrap(v.check_real)
check_rep = _wrap(vr.check_rep)
check_reps = _wrap(vr.check_reps)
check_net = _wrap(vn.check_net)
check_group = _wrap(vg.check_group)
check_dims = _wrap(vn.check_dims)


def check_int_or_strategy(name: str, value: Any, lo: int, hi: int) -> Any:
    if isinstance(value, SearchStrategy):
        return value
    return check_int(name, value, min=lo, max=hi)


def check_bool_or_strategy(name: str, value: Any) -> Any:
    if isinstance(value, SearchStrategy):
        return value
    return check_bool(name, value)


def check_flags(**flags: Any) -> None:
    """Each keyword is True or False."""
    for name, value in flags.items():
        check_bool(name, value)


def check_seed(value: Any) -> int:
    return check_int("seed", value, min=0)


def check_names(name: str, given: Any, known: tuple[str, ...]) -> list[str]:
    """A non-empty list of names from ``known`` (a string alone is refused: write [name])."""
    if isinstance(given, str):
        raise InvalidStrategyArgument(f"{name} must be a collection of names, got the string {given!r}; "
                                      f"write {name}=[{given!r}]")
    try:
        names = list(given)
    except TypeError:
        raise InvalidStrategyArgument(f"{name} must be a collection of names from {list(known)}, "
                                      f"got {v.describe(given)}") from None
    unknown = [n for n in names if not isinstance(n, str) or n not in known]
    if unknown:
        raise InvalidStrategyArgument(f"unknown {name} {unknown}; choose from {list(known)}")
    if not names:
        raise InvalidStrategyArgument(f"{name} must name at least one of {list(known)}")
    return names


def check_subgroups(name: str, value: Any, G: Any) -> list[Any]:
    """A list of subgroups of G."""
    from equifuzz.groups.finite import Subgroup

    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise InvalidStrategyArgument(f"{name} must be a list of subgroups of {G.name}, got {v.describe(value)}")
    out = list(value)
    for K in out:
        if not isinstance(K, Subgroup):
            raise InvalidStrategyArgument(f"{name} must hold Subgroups of {G.name}, got {v.describe(K)}")
        with as_strategy_error():
            G._own(K)
    return out
